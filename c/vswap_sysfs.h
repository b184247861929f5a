/* SPDX-License-Identifier: GPL-2.0 */
/* The sysfs files of /dev/vswap0: what rust/hooks.rs calls, and what it provides. */
#ifndef _VSWAP_SYSFS_H
#define _VSWAP_SYSFS_H

#include <linux/types.h>

struct gendisk;
struct kobject;

struct kobject *vswap_sysfs_add(struct gendisk *disk);
void vswap_sysfs_remove(struct kobject *kobj);

/*
 * Provided by the Rust side (rust/hooks.rs): the text of the file named @name
 * (its files are rust/stat.rs's), at most PAGE_SIZE bytes.
 */
ssize_t vswap_sysfs_show(const char *name, char *buf);

#endif /* _VSWAP_SYSFS_H */
