// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics directory of /dev/vswap0, /sys/block/vswap0/vswap/: the
 * sysfs plumbing only. What each file says is formatted on the Rust side
 * (rust/stat.rs), which vswap_sysfs_show() reaches. The attributes are
 * static, as lockdep wants of sysfs attributes.
 */
#include <linux/blkdev.h>
#include <linux/err.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "vswap_sysfs.h"

/* Every file shows what the Rust side formats for its name. */
static ssize_t vswap_stat_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return vswap_sysfs_show(attr->attr.name, buf);
}

static struct kobj_attribute mm_stat_attr =
	__ATTR(mm_stat, 0444, vswap_stat_show, NULL);
static struct kobj_attribute io_stat_attr =
	__ATTR(io_stat, 0444, vswap_stat_show, NULL);
static struct kobj_attribute phys_stat_attr =
	__ATTR(phys_stat, 0444, vswap_stat_show, NULL);

static struct attribute *vswap_attrs[] = {
	&mm_stat_attr.attr,
	&io_stat_attr.attr,
	&phys_stat_attr.attr,
	NULL,
};

static const struct attribute_group vswap_group = {
	.attrs = vswap_attrs,
};

/**
 * vswap_sysfs_add() - add the statistics directory under a disk
 * @disk: the vswap disk, added.
 *
 * Context: Process context; may sleep.
 * Return: the directory's kobject, or an ERR_PTR() on failure.
 */
struct kobject *vswap_sysfs_add(struct gendisk *disk)
{
	struct kobject *kobj;
	int err;

	kobj = kobject_create_and_add("vswap", &disk_to_dev(disk)->kobj);
	if (!kobj)
		return ERR_PTR(-ENOMEM);
	err = sysfs_create_group(kobj, &vswap_group);
	if (err) {
		kobject_put(kobj);
		return ERR_PTR(err);
	}
	return kobj;
}

/**
 * vswap_sysfs_remove() - remove what vswap_sysfs_add() added
 * @kobj: its return value.
 *
 * Once this returns, no show callback runs or will run.
 *
 * Context: Process context; may sleep.
 */
void vswap_sysfs_remove(struct kobject *kobj)
{
	sysfs_remove_group(kobj, &vswap_group);
	kobject_put(kobj);
}
