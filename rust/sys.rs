// SPDX-License-Identifier: GPL-2.0

//! The kernel below the backend: safe wrappers around the C the module calls.
//!
//! Block requests to `/dev/vswap0` (`c/vswap_rq.c`), vtable leaves from the page allocator
//! (`c/vswap_leaf.c`), the swap core's backing allocator and deferred release
//! (`include/linux/vswap_backend.h`), and the `swp_entry_t` encoding. Each wrapper's
//! `// SAFETY:` comment states what the C side guarantees. Nothing here knows the backend: the
//! C entry points that call into it are in `hooks.rs`.
//!
//! C header: [`include/linux/vswap_backend.h`](srctree/include/linux/vswap_backend.h)

use crate::{
    header::HEADER_SIZE,
    vtable::{
        Leaf,
        Leaves, //
    },
    word::PhysSlot, //
};
use core::{
    ffi::c_void,
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    }, //
};
use kernel::{
    bindings,
    block::mq::{
        gen_disk::GenDisk,
        Operations,
        Request, //
    },
    error::to_result,
    prelude::*, //
};

// `struct request` contains zero-sized C members that bindgen renders as empty structs; only a
// pointer crosses the boundary.
#[expect(improper_ctypes)]
unsafe extern "C" {
    /// Serves a request to the vswap disk from its header page (`c/vswap_rq.c`).
    fn vswap_rq_serve(rq: *mut bindings::request, header: *mut c_void, header_len: c_uint)
        -> c_int;
}

/// What [`serve_request`] did with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Served {
    /// A read: the header page, zeroes elsewhere.
    Read,
    /// A write to the header page (mkswap).
    Write,
    /// A flush.
    Flush,
}

/// Serves `rq` from `header`, which is the header page or empty: reads get the header (zeroes
/// elsewhere), writes to the header are taken, other writes fail with `EIO`.
pub(crate) fn serve_request<T: Operations>(rq: &Request<T>, header: &mut [u8]) -> Result<Served> {
    let rq = ptr::from_ref(rq).cast_mut().cast::<bindings::request>();
    let len = c_uint::try_from(header.len().min(HEADER_SIZE)).map_err(|_| EINVAL)?;
    // SAFETY:
    // - `Request<T>` is `#[repr(transparent)]` over the C `struct request`, which the driver owns
    //   until it ends the request, so `rq` is valid for the call.
    // - `header` is an exclusively borrowed buffer of at least `len` bytes.
    let ret = unsafe { vswap_rq_serve(rq, header.as_mut_ptr().cast(), len) };
    match ret {
        0 => Ok(Served::Read),
        1 => Ok(Served::Write),
        2 => Ok(Served::Flush),
        err => Err(Error::from_errno(err)),
    }
}

// SAFETY: A `Guard` exists only while it holds the RCU read lock (`rcu::read_lock()` takes it and
// dropping the guard releases it), so vtable leaves retired meanwhile outlive it: they are freed
// by `call_rcu` (`KernelLeaves::retire`).
unsafe impl crate::vtable::ReadSide for kernel::sync::rcu::Guard {}

/// Tells the block layer and udev that what `disk` serves changed (it became ready, or stopped
/// being): drops the pages cached from it and sends a change uevent, so that udev probes it
/// again.
pub(crate) fn disk_changed<T: Operations>(disk: &GenDisk<T>) {
    let disk = disk.as_raw();
    // SAFETY: `disk` is a live, added gendisk (the `GenDisk` borrow), so its whole-disk block
    // device `part0` is valid; both calls may sleep, and we are in process context (module init
    // or exit).
    unsafe {
        let bdev = (*disk).part0;
        bindings::invalidate_bdev(bdev);
        bindings::kobject_uevent(
            &raw mut (*bdev).bd_device.kobj,
            bindings::kobject_action_KOBJ_CHANGE,
        );
    }
}

/// Vtable leaves: pages from the page allocator (`c/vswap_leaf.c`); a retired leaf is freed
/// after an RCU grace period through its page's own `rcu_head`, so retiring allocates nothing.
pub(crate) struct KernelLeaves;

unsafe extern "C" {
    /// A zeroed page for a leaf, or null. May sleep.
    fn vswap_leaf_alloc() -> *mut c_void;
    /// Frees a leaf now.
    fn vswap_leaf_free(leaf: *mut c_void);
    /// Frees a leaf after an RCU grace period; any context, allocates nothing.
    fn vswap_leaf_retire(leaf: *mut c_void);
}

// A leaf is exactly the page `vswap_leaf_alloc` hands out.
const _: () = assert!(core::mem::size_of::<Leaf>() == bindings::PAGE_SIZE);
// The plain-`core` files' geometry is the kernel's: a leaf per swap cluster, the swap header a
// page (x86-64, 4 KiB pages, 512-slot clusters; the swap core's SWAPFILE_CLUSTER is not in the
// bindings).
const _: () = assert!(HEADER_SIZE == bindings::PAGE_SIZE);
const _: () = assert!(crate::vtable::LEAF_SLOTS as u64 == crate::config::CLUSTER_PAGES);

impl Leaves for KernelLeaves {
    fn alloc(&self) -> Option<NonNull<Leaf>> {
        // SAFETY: `vswap_leaf_alloc` has no preconditions; we are in process context (a store).
        let page = unsafe { vswap_leaf_alloc() };
        // The page is zeroed, page-aligned and one `Leaf` long (the assertion above),
        // and an all-zero `Leaf` (atomic words) is valid: all NONE.
        NonNull::new(page.cast::<Leaf>())
    }

    unsafe fn free_now(&self, leaf: NonNull<Leaf>) {
        // SAFETY: By the safety requirements, `leaf` came from `alloc` (`vswap_leaf_alloc`) and
        // no reader can reach it.
        unsafe { vswap_leaf_free(leaf.as_ptr().cast()) };
    }

    unsafe fn retire(&self, leaf: NonNull<Leaf>) {
        // SAFETY: By the safety requirements the leaf came from `alloc` and is unpublished, so
        // readers that can still see it are all in read-side critical sections that began
        // before this call; `vswap_leaf_retire` frees it after they end.
        unsafe { vswap_leaf_retire(leaf.as_ptr().cast()) };
    }
}

/// The CPU the caller runs on, for sharded counters: it may move to another CPU at once, which
/// only costs the counter a shared cache line.
pub(crate) fn this_cpu() -> usize {
    // SAFETY: `raw_smp_processor_id()` has no preconditions; its value is only a hint here.
    unsafe { bindings::raw_smp_processor_id() as usize }
}

/// Waits for every leaf retired so far to be freed. Call it before the module goes away.
pub(crate) fn rcu_barrier() {
    // SAFETY: Always safe to call from process context.
    unsafe { bindings::rcu_barrier() };
}

/// The swap core's deferred release of physical slots (`struct vswap_backing_free_stat`).
pub(crate) struct BackingFreeStat {
    /// Physical slots queued now.
    pub(crate) pending: u64,
    /// Physical slots queued since boot.
    pub(crate) deferred: u64,
    /// Physical slots of freed pages freed on the unmap path since boot.
    pub(crate) inline_freed: u64,
    /// Times the queues were emptied with something in them.
    pub(crate) drains: u64,
    /// Of those, by an allocation that found no free slot.
    pub(crate) flushes: u64,
}

/// Reads the swap core's deferred release counters. Process context: it may sleep.
pub(crate) fn backing_free_stat() -> BackingFreeStat {
    let mut stat = bindings::vswap_backing_free_stat::default();
    // SAFETY: `stat` is a valid, writable struct; the function may sleep, and the debugfs reader
    // that calls this runs in process context.
    unsafe { bindings::vswap_backing_free_stat(&mut stat) };
    // `unsigned long` is 64 bits wide on every architecture the module builds for.
    BackingFreeStat {
        pending: stat.pending as u64,
        deferred: stat.deferred as u64,
        inline_freed: stat.inline_freed as u64,
        drains: stat.drains as u64,
        flushes: stat.flushes as u64,
    }
}

// `phys_free_defer` is bounded by the swap core's per-CPU queue.
const _: () = assert!(crate::config::PHYS_FREE_DEFER_MAX == bindings::VSWAP_FREE_QUEUE);

/// First bit of the swap type in a `swp_entry_t` (`SWP_TYPE_SHIFT` in `swapops.h`).
const SWP_TYPE_SHIFT: u32 = bindings::BITS_PER_XA_VALUE - bindings::MAX_SWAPFILES_SHIFT;

/// The `swp_entry_t` of slot `offset` of swap type `ty` (`swp_entry()` in `swapops.h`).
fn raw_swp_entry(ty: u8, offset: u64) -> bindings::swp_entry_t {
    bindings::swp_entry_t {
        val: (u64::from(ty) << SWP_TYPE_SHIFT | (offset & ((1u64 << SWP_TYPE_SHIFT) - 1)))
            as c_ulong,
    }
}

/// The `swp_entry_t` of physical slot `p`.
pub(crate) fn swp_entry(p: PhysSlot) -> bindings::swp_entry_t {
    raw_swp_entry(p.ty, p.offset)
}

/// The physical slot an entry names, if its type fits a PHYS word.
pub(crate) fn phys_slot(e: bindings::swp_entry_t) -> Option<PhysSlot> {
    let val = e.val as u64;
    Some(PhysSlot {
        ty: u8::try_from(val >> SWP_TYPE_SHIFT).ok()?,
        offset: val & ((1u64 << SWP_TYPE_SHIFT) - 1),
    })
}

/// A folio in the swap cache of the vswap device, locked by the swap core for the duration of a
/// hook. A large folio covers several vswap slots, each backed on its own.
///
/// # Invariants
///
/// `folio` is a valid, locked folio in the swap cache of the attached vswap device for the
/// lifetime `'a`.
pub(crate) struct SwapCacheFolio<'a> {
    folio: NonNull<bindings::folio>,
    _hook: PhantomData<&'a bindings::folio>,
}

impl SwapCacheFolio<'_> {
    /// Wraps the folio a hook was given.
    ///
    /// # Safety
    ///
    /// `folio` is valid, locked and in the vswap device's swap cache until the hook returns.
    pub(crate) unsafe fn from_raw(folio: *mut bindings::folio) -> Self {
        // INVARIANT: By the safety requirements.
        SwapCacheFolio {
            // SAFETY: By the safety requirements, `folio` is valid, hence not null.
            folio: unsafe { NonNull::new_unchecked(folio) },
            _hook: PhantomData,
        }
    }

    /// Allocates a physical slot on an ordinary swap device for slot `offset` (one of this
    /// folio's slots) of vswap type `vtype`; the physical slot's rmap entry names it. May sleep.
    pub(crate) fn alloc_backing(&self, vtype: u8, offset: u64) -> Result<PhysSlot> {
        let mut phys = bindings::swp_entry_t { val: 0 };
        // SAFETY: By the type invariant the folio is locked and in the vswap swap cache, and the
        // hook runs in process context with no spinlock held (the operation's contract). The C
        // side checks that the slot is one of the folio's.
        to_result(unsafe {
            bindings::vswap_backing_alloc(
                self.folio.as_ptr(),
                raw_swp_entry(vtype, offset),
                &mut phys,
            )
        })?;
        phys_slot(phys).ok_or_else(|| {
            // A swap type beyond what a PHYS word holds cannot come from the kernel.
            kernel::warn_on!(true);
            EINVAL
        })
    }
}

/// Frees physical slot `p`, which backs slot `offset` of vswap type `vtype`. Never sleeps.
///
/// Returns whether the kernel freed it: it refuses (and warns) if the slot's rmap entry does not
/// name that vswap slot.
pub(crate) fn free_backing(p: PhysSlot, vtype: u8, offset: u64) -> bool {
    // SAFETY: `vswap_backing_free` checks the rmap entry under the cluster lock before freeing,
    // and may be called in any context but hardirq.
    unsafe { bindings::vswap_backing_free(swp_entry(p), raw_swp_entry(vtype, offset)) }
}

// Packed writeback (`pack.rs`): the block buffers, the zswap entries being packed and their
// pools, and the physical slots of blocks.

unsafe extern "C" {
    /// A zeroed page for a block, or null (`c/vswap_leaf.c`). May sleep.
    fn vswap_block_buf_alloc() -> *mut c_void;
    /// Frees a page from `vswap_block_buf_alloc`.
    fn vswap_block_buf_free(buf: *mut c_void);
}

/// The page a block is filled in and written from.
///
/// # Invariants
///
/// `page` is a `PAGE_SIZE`-byte page from `vswap_block_buf_alloc`, owned by this value.
pub(crate) struct BlockBuf {
    page: NonNull<u8>,
}

impl BlockBuf {
    /// A zeroed page, or `ENOMEM`. May sleep: never call it under a lock reclaim may need.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: No preconditions; process context (the caller may sleep).
        let page = unsafe { vswap_block_buf_alloc() };
        // INVARIANT: The page from `vswap_block_buf_alloc`, ours.
        Ok(BlockBuf {
            page: NonNull::new(page.cast()).ok_or(ENOMEM)?,
        })
    }

    /// The page's bytes.
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: By the type invariant the page is `PAGE_SIZE` bytes we own, and `&mut self`
        // makes this the only access.
        unsafe { core::slice::from_raw_parts_mut(self.page.as_ptr(), bindings::PAGE_SIZE) }
    }
}

impl Drop for BlockBuf {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the page came from `vswap_block_buf_alloc`, and is ours.
        unsafe { vswap_block_buf_free(self.page.as_ptr().cast()) };
    }
}

// SAFETY: A page of the page allocator may be written and freed by any task.
unsafe impl Send for BlockBuf {}

/// Copies the compressed data of zswap entry `entry` into `dst` if it fits; returns its length
/// (copied only if it is at most `dst.len()`).
///
/// # Safety
///
/// `entry` is the zswap entry `ops->pack` was given, during that call.
pub(crate) unsafe fn zswap_copy(entry: *mut c_void, dst: &mut [u8]) -> usize {
    let size = c_uint::try_from(dst.len()).unwrap_or(c_uint::MAX);
    // SAFETY: By the safety requirements `entry` is live for the call; `dst` is `size` writable
    // bytes; the pack hook runs in process context.
    let len = unsafe { bindings::zswap_pack_copy(entry, dst.as_mut_ptr().cast(), size) };
    len as usize
}

/// A pinned zswap pool: the one that compressed packed data, and decompresses it.
///
/// # Invariants
///
/// `pool` was pinned by `zswap_pack_pool_get`, and is unpinned on drop.
pub(crate) struct PoolRef {
    pool: NonNull<c_void>,
}

impl PoolRef {
    /// Pins the pool of zswap entry `entry`.
    ///
    /// # Safety
    ///
    /// `entry` is the zswap entry `ops->pack` was given, during that call.
    pub(crate) unsafe fn of_entry(entry: *mut c_void) -> Option<Self> {
        // SAFETY: By the safety requirements the entry, which pins its pool, is live.
        let pool = unsafe { bindings::zswap_pack_pool_get(entry) };
        // INVARIANT: Pinned above.
        NonNull::new(pool).map(|pool| PoolRef { pool })
    }

    /// Whether `other` pins the same pool.
    pub(crate) fn same(&self, other: &PoolRef) -> bool {
        self.pool == other.pool
    }

    /// The pool, for `struct vswap_packed`.
    pub(crate) fn as_ptr(&self) -> *mut c_void {
        self.pool.as_ptr()
    }
}

impl Drop for PoolRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant we pinned the pool; any context.
        unsafe { bindings::zswap_pack_pool_put(self.pool.as_ptr()) };
    }
}

// SAFETY: A pin on a zswap pool may be dropped by any task, in any context.
unsafe impl Send for PoolRef {}
// SAFETY: `&PoolRef` only compares and reads the address.
unsafe impl Sync for PoolRef {}

/// A zswap entry being packed, and the swap cache folio that keeps its slot as it is until the
/// entry's block is written. Dropped without [`PackToken::done`], the writeback ends as failed:
/// the entry stays in zswap.
///
/// # Invariants
///
/// `entry` and `folio` were given to `ops->pack`, which accepted them: this value owns the
/// folio's lock and the caller's reference, and `zswap_pack_done` was not called for them yet.
pub(crate) struct PackToken {
    entry: NonNull<c_void>,
    folio: NonNull<bindings::folio>,
}

impl PackToken {
    /// Takes over the entry and folio `ops->pack` was given.
    ///
    /// # Safety
    ///
    /// `entry` and `folio` are the (non-null) arguments of the running `ops->pack` call, and it
    /// returns 0: the caller then hands them over.
    pub(crate) unsafe fn new(entry: *mut c_void, folio: *mut bindings::folio) -> Option<Self> {
        // INVARIANT: By the safety requirements.
        Some(PackToken {
            entry: NonNull::new(entry)?,
            folio: NonNull::new(folio)?,
        })
    }

    /// The entry's address, as a ZSWAP word holds it.
    pub(crate) fn entry(&self) -> usize {
        self.entry.as_ptr().expose_provenance()
    }

    /// Ends the writeback: `written` if the entry's slot maps its packed copy now, which frees
    /// the entry; else the entry stays in zswap. The folio leaves the swap cache and is unlocked.
    pub(crate) fn done(self, written: bool) {
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: By the type invariant we own the entry and the folio until this call, the only
        // one for them (`ManuallyDrop`: `drop` does not run); process context.
        unsafe { bindings::zswap_pack_done(this.entry.as_ptr(), this.folio.as_ptr(), written) };
    }
}

impl Drop for PackToken {
    fn drop(&mut self) {
        // SAFETY: As in `done`: ours, and this is the only call for them.
        unsafe { bindings::zswap_pack_done(self.entry.as_ptr(), self.folio.as_ptr(), false) };
    }
}

// SAFETY: The folio lock and the entry may be handed over and released by any task.
unsafe impl Send for PackToken {}

/// The physical slot of a block that is not written yet; freed on drop.
///
/// # Invariants
///
/// `slot` came from `vswap_block_alloc` and is ours to free.
pub(crate) struct BlockSlot {
    slot: PhysSlot,
}

impl BlockSlot {
    /// Allocates the physical slot of a block: on a device written with bios, never through
    /// its filesystem (the kernel's `EOPNOTSUPP`); `ENOSPC` when none is free. May sleep: never
    /// call it under a lock reclaim may need.
    pub(crate) fn new() -> Result<Self> {
        let mut phys = bindings::swp_entry_t { val: 0 };
        // SAFETY: `phys` is writable; process context, no spinlock held (the caller's
        // contract).
        to_result(unsafe { bindings::vswap_block_alloc(&mut phys) })?;
        match phys_slot(phys) {
            // INVARIANT: Allocated above, ours.
            Some(slot) => Ok(BlockSlot { slot }),
            None => {
                // SAFETY: As in `block_free`: the slot came from `vswap_block_alloc`.
                kernel::warn_on!(!unsafe { bindings::vswap_block_free(phys) });
                Err(EINVAL)
            }
        }
    }

    /// The slot.
    pub(crate) fn slot(&self) -> PhysSlot {
        self.slot
    }

    /// The slot, no longer freed on drop: its block is written, and whoever drops the block's
    /// last object frees it ([`block_free`]).
    pub(crate) fn keep(self) -> PhysSlot {
        core::mem::ManuallyDrop::new(self).slot
    }
}

impl Drop for BlockSlot {
    fn drop(&mut self) {
        // By the type invariant the slot is ours.
        kernel::warn_on!(!block_free(self.slot));
    }
}

/// Frees the physical slot of a block. Returns whether the kernel freed it (its rmap entry
/// names a block). Never sleeps.
pub(crate) fn block_free(p: PhysSlot) -> bool {
    // SAFETY: `vswap_block_free` checks the rmap entry under the cluster lock before freeing;
    // any context but hardirq.
    unsafe { bindings::vswap_block_free(swp_entry(p)) }
}

/// Writes `buf` to block `p`, and waits. May sleep.
pub(crate) fn block_write(p: PhysSlot, buf: &mut BlockBuf) -> Result {
    // SAFETY: `buf` is a page from the page allocator that we hold for the call; `p` is a
    // block's slot from `block_alloc`; process context.
    to_result(unsafe { bindings::vswap_block_write(swp_entry(p), buf.page.as_ptr().cast()) })
}
