/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VSWAP_LEAF_H
#define VSWAP_LEAF_H

/*
 * Vtable leaves (rust/sys.rs, KernelLeaves). vswap_leaf_alloc() may sleep
 * and returns a zeroed page or NULL; vswap_leaf_free() frees a leaf no
 * reader can reach; vswap_leaf_retire() frees an unpublished leaf after an
 * RCU grace period, in any context, without allocating.
 */
void *vswap_leaf_alloc(void);
void vswap_leaf_free(void *leaf);
void vswap_leaf_retire(void *leaf);

#endif /* VSWAP_LEAF_H */
