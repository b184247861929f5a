/* SPDX-License-Identifier: GPL-2.0 */
/* The sysfs files of /dev/vswap0: what rust/hooks.rs calls, and what it provides. */
#ifndef _VSWAP_SYSFS_H
#define _VSWAP_SYSFS_H

#include <linux/types.h>

struct gendisk;
struct kobject;

/* The files of /sys/block/vswap0/vswap/; keep in sync with rust/stat.rs. */
enum {
	VSWAP_SYSFS_MM_STAT = 0,
	VSWAP_SYSFS_IO_STAT = 1,
	VSWAP_SYSFS_PHYS_STAT = 2,
};

struct kobject *vswap_sysfs_add(struct gendisk *disk);
void vswap_sysfs_remove(struct kobject *kobj);

/* Provided by the Rust side: the text of file @file, at most PAGE_SIZE bytes. */
ssize_t vswap_sysfs_show(unsigned int file, char *buf);

#endif /* _VSWAP_SYSFS_H */
