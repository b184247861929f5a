// SPDX-License-Identifier: GPL-2.0
/*
 * Vtable leaves: one page each, from the page allocator, so that retiring a
 * leaf needs no memory of its own. An empty leaf is retired under the swap
 * cluster lock of the slot whose erase emptied it; its page's rcu_head
 * carries it to the RCU callback that frees it, as mm/swapfile.c retires
 * swap tables. kmemleak is told about each leaf: the zswap entries a leaf
 * points to are reachable through it.
 */
#include <linux/gfp.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>

#include "vswap_leaf.h"

void *vswap_leaf_alloc(void)
{
	void *leaf = (void *)get_zeroed_page(GFP_KERNEL | __GFP_NOWARN);

	if (leaf)
		kmemleak_alloc(leaf, PAGE_SIZE, 1, GFP_KERNEL);
	return leaf;
}

void vswap_leaf_free(void *leaf)
{
	kmemleak_free(leaf);
	free_page((unsigned long)leaf);
}

static void vswap_leaf_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

void vswap_leaf_retire(void *leaf)
{
	/* Unpublished: nothing may refer to it but readers finishing. */
	kmemleak_free(leaf);
	call_rcu(&virt_to_page(leaf)->rcu_head, vswap_leaf_free_rcu);
}

void *vswap_block_buf_alloc(void)
{
	return (void *)get_zeroed_page(GFP_KERNEL | __GFP_NOWARN);
}

void vswap_block_buf_free(void *buf)
{
	free_page((unsigned long)buf);
}
