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

/*
 * Blocks of packed writeback (rust/sys.rs, BlockBuf): a zeroed page to fill
 * and write, or NULL; may sleep. Zeroed, so that the gaps between objects
 * never carry stale kernel memory to the disk.
 */
void *vswap_block_buf_alloc(void);
void vswap_block_buf_free(void *buf);

#endif /* VSWAP_LEAF_H */
