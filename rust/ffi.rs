// SPDX-License-Identifier: GPL-2.0

//! The module's only contact with C: the vswap backend registration and its callbacks, RCU
//! freeing of vtable leaves, and the block request helper of `c/vswap_rq.c`.
//!
//! No other file of the module may use `bindings::`: they call the safe wrappers here, whose
//! `// SAFETY:` comments state what the C side guarantees. The only other `unsafe` is the
//! vtable's lock-free leaf protocol in `vtable.rs`, plain `core` Rust that the host tests run.
//!
//! C header: [`include/linux/vswap_backend.h`](srctree/include/linux/vswap_backend.h)

use crate::{
    backend::Backend,
    header::HEADER_SIZE,
    vtable::{
        Leaf,
        Leaves, //
    },
    word::PhysSlot, //
    Stats,
};
use core::{
    ffi::{
        c_char,
        c_void, //
    },
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    },
    sync::atomic::{
        AtomicPtr,
        Ordering::{
            AcqRel,
            Acquire,
            Release, //
        }, //
    },
};
use kernel::{
    alloc::flags::GFP_KERNEL,
    bindings,
    block::mq::{
        gen_disk::GenDisk,
        Operations,
        Request, //
    },
    error::to_result,
    prelude::*,
    sync::Arc, //
};

// `struct request` contains zero-sized C members that bindgen renders as empty structs; only a
// pointer crosses the boundary.
#[expect(improper_ctypes)]
unsafe extern "C" {
    /// Serves a request to the vswap disk from its header page (`c/vswap_rq.c`).
    fn vswap_rq_serve(rq: *mut bindings::request, header: *mut c_void, header_len: c_uint)
        -> c_int;
}

// `struct gendisk` contains a zero-sized C member that bindgen renders as an empty struct; only a
// pointer crosses the boundary.
#[expect(improper_ctypes)]
unsafe extern "C" {
    /// Adds `/sys/block/<disk>/vswap/` with its files (`c/vswap_sysfs.c`).
    fn vswap_sysfs_add(disk: *mut bindings::gendisk) -> *mut bindings::kobject;
    /// Removes what `vswap_sysfs_add` added; no show callback runs once it returns.
    fn vswap_sysfs_remove(kobj: *mut bindings::kobject);
}

/// What the sysfs files show while they exist: set before they are added, cleared after they
/// are removed.
static SYSFS_STATS: AtomicPtr<Stats> = AtomicPtr::new(ptr::null_mut());

/// The statistics directory `/sys/block/vswap0/vswap/`; removed on drop.
///
/// # Invariants
///
/// `kobj` is the directory `vswap_sysfs_add` returned; `SYSFS_STATS` points to `*stats` until
/// the directory is removed.
pub(crate) struct SysfsDir {
    kobj: NonNull<bindings::kobject>,
    stats: KBox<Stats>,
}

impl SysfsDir {
    /// Adds the directory under `disk`, its files showing `stats`. Only one may exist.
    pub(crate) fn new<T: Operations>(disk: &GenDisk<T>, stats: Stats) -> Result<Self> {
        let stats = KBox::new(stats, GFP_KERNEL)?;
        let p = ptr::from_ref(&*stats).cast_mut();
        SYSFS_STATS
            .compare_exchange(ptr::null_mut(), p, AcqRel, Acquire)
            .map_err(|_| EBUSY)?;
        // SAFETY: `disk` is a live, added gendisk (the `GenDisk` borrow); process context.
        let kobj = unsafe { vswap_sysfs_add(disk.as_raw()) };
        match kernel::error::from_err_ptr(kobj) {
            Ok(kobj) => Ok(SysfsDir {
                // INVARIANT: Added above, `SYSFS_STATS` set before.
                kobj: NonNull::new(kobj).ok_or(ENOMEM)?,
                stats,
            }),
            Err(e) => {
                SYSFS_STATS.store(ptr::null_mut(), Release);
                Err(e)
            }
        }
    }
}

impl Drop for SysfsDir {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `kobj` is the directory added by `new`, removed only
        // here; module exit is process context.
        unsafe { vswap_sysfs_remove(self.kobj.as_ptr()) };
        // No show callback runs any more: `self.stats` may go.
        let _ = SYSFS_STATS.compare_exchange(
            ptr::from_ref(&*self.stats).cast_mut(),
            ptr::null_mut(),
            AcqRel,
            Acquire,
        );
    }
}

// SAFETY: The directory is a handle to sysfs objects that sysfs synchronises.
unsafe impl Send for SysfsDir {}
// SAFETY: `&SysfsDir` allows nothing.
unsafe impl Sync for SysfsDir {}

/// Formats sysfs file `file` of `/sys/block/vswap0/vswap/` into `buf`; called by
/// `c/vswap_sysfs.c`.
///
/// # Safety
///
/// `buf` is a sysfs show buffer (`PAGE_SIZE` bytes, writable), and the call comes from a show
/// callback of the directory of a live [`SysfsDir`].
#[no_mangle]
unsafe extern "C" fn vswap_sysfs_show(file: c_uint, buf: *mut c_char) -> isize {
    let Some(file) = usize::try_from(file)
        .ok()
        .and_then(|i| crate::stat::File::ALL.get(i).copied())
    else {
        return EINVAL.to_errno() as isize;
    };
    let stats = SYSFS_STATS.load(Acquire);
    if stats.is_null() {
        return ENODEV.to_errno() as isize;
    }
    // SAFETY: By the safety requirements the directory is live, so `SYSFS_STATS` points to its
    // `stats`, freed only after the directory is removed, which waits for this call.
    let snapshot = unsafe { &*stats }.snapshot();
    // SAFETY: By the safety requirements `buf` is `PAGE_SIZE` writable bytes, ours for the call.
    let page =
        unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), kernel::page::PAGE_SIZE) };
    let mut f = kernel::str::Formatter::new(page);
    match file.write(&snapshot, &mut f) {
        Ok(()) => f.bytes_written() as isize,
        Err(_) => EOVERFLOW.to_errno() as isize,
    }
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

/// The vtable type of the attached device.
pub(crate) type KTable =
    crate::vtable::Table<KVVec<crate::vtable::Cluster>, KernelLeaves, Arc<crate::vtable::Stats>>;

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
const _: () = assert!(core::mem::size_of::<Leaf>() == 4096 && bindings::PAGE_SIZE == 4096);

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

/// The vtable of the attached device, reachable from the hooks without a lock.
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` and is owned by this object.
pub(crate) struct AttachedTable {
    ptr: AtomicPtr<KTable>,
}

impl AttachedTable {
    /// No table.
    pub(crate) const fn new() -> Self {
        // INVARIANT: Null.
        AttachedTable {
            ptr: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Installs `table`; gives it back if one is installed already.
    pub(crate) fn install(&self, table: KBox<KTable>) -> Result<(), KBox<KTable>> {
        let raw = KBox::into_raw(table);
        match self
            .ptr
            .compare_exchange(ptr::null_mut(), raw, AcqRel, Acquire)
        {
            // INVARIANT: `raw` comes from `KBox::into_raw` and is now ours.
            Ok(_) => Ok(()),
            // SAFETY: `raw` was not installed: we still own it.
            Err(_) => Err(unsafe { KBox::from_raw(raw) }),
        }
    }

    /// Removes the table, if any.
    pub(crate) fn take(&self) -> Option<KBox<KTable>> {
        let raw = self.ptr.swap(ptr::null_mut(), AcqRel);
        // SAFETY: By the type invariant a non-null `raw` comes from `KBox::into_raw` and is ours.
        (!raw.is_null()).then(|| unsafe { KBox::from_raw(raw) })
    }

    /// The table, from a hook.
    ///
    /// # Safety
    ///
    /// The caller is a vswap backend hook: the swap core calls hooks only between `attach` and
    /// `detach`, and [`AttachedTable::take`] is called only by `detach`.
    unsafe fn get(&self) -> Option<&KTable> {
        let raw = self.ptr.load(Acquire);
        // SAFETY: By the safety requirements the table is not taken before the hook returns.
        unsafe { raw.as_ref() }
    }
}

// SAFETY: The table is shared by the hooks through `&` only; `KTable` is `Sync`.
unsafe impl Sync for AttachedTable {}
// SAFETY: Ownership of the table can move between threads.
unsafe impl Send for AttachedTable {}

/// A registered vswap backend; unregistered on drop.
///
/// # Invariants
///
/// `disk` is registered with `ops` and `backend` as its private data.
pub(crate) struct Registration {
    disk: *mut bindings::gendisk,
    _ops: KBox<bindings::vswap_backend_ops>,
    _backend: Arc<Backend>,
}

impl Registration {
    /// Registers `backend` for `disk`; `module` is pinned while the disk is swapped on.
    pub(crate) fn new<T: Operations>(
        disk: &GenDisk<T>,
        backend: Arc<Backend>,
        module: &'static ThisModule,
        free_defer: u32,
    ) -> Result<Self> {
        let ops = KBox::new(
            bindings::vswap_backend_ops {
                owner: module.as_ptr(),
                attach: Some(attach),
                detach: Some(detach),
                zswap_load: Some(zswap_load),
                zswap_store: Some(zswap_store),
                zswap_erase: Some(zswap_erase),
                writeout_rejected: Some(writeout_rejected),
                alloc_phys: Some(alloc_phys),
                lookup_phys: Some(lookup_phys),
                peek_phys: Some(peek_phys),
                release_phys: Some(release_phys),
                move_phys: Some(move_phys),
                free_range: Some(free_range),
                free_defer,
            },
            GFP_KERNEL,
        )?;
        let disk = disk.as_raw();
        let data = Arc::as_ptr(&backend).cast_mut().cast::<c_void>();
        // SAFETY: `disk` is a live gendisk (the caller's `GenDisk` outlives the registration, as
        // the module drops it after this); `ops` and `backend` are kept alive by `Self` until
        // `vswap_backend_unregister` in `drop`.
        kernel::error::to_result(unsafe {
            bindings::vswap_backend_register(disk, &raw const *ops, data)
        })?;
        // INVARIANT: Registered above.
        Ok(Registration {
            disk,
            _ops: ops,
            _backend: backend,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `disk` is registered. The module is pinned while a device
        // is attached, so no hook can run once this is called from module exit.
        unsafe { bindings::vswap_backend_unregister(self.disk) };
    }
}

// SAFETY: The registration is a handle to state the C side synchronises under its own lock.
unsafe impl Send for Registration {}
// SAFETY: `&Registration` allows nothing.
unsafe impl Sync for Registration {}

/// The backend behind a hook's private pointer.
///
/// # Safety
///
/// `data` is the private pointer given to `vswap_backend_register`, live while registered.
unsafe fn backend<'a>(data: *mut c_void) -> &'a Backend {
    // SAFETY: By the safety requirements `data` points to the registered `Backend`, which the
    // `Registration` keeps alive.
    unsafe { &*data.cast::<Backend>() }
}

/// `ops->attach`: swapon of the registered disk.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn attach(data: *mut c_void, ty: c_uint, nr_pages: c_ulong) -> c_int {
    // SAFETY: Called by the swap core with the registered private pointer.
    let backend = unsafe { backend(data) };
    match backend.attach(ty, nr_pages as u64) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `ops->detach`: swapoff; every slot is free.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn detach(data: *mut c_void) {
    // SAFETY: Called by the swap core with the registered private pointer.
    unsafe { backend(data) }.detach();
}

/// `ops->zswap_load`: the zswap entry of a slot, or null.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn zswap_load(data: *mut c_void, offset: c_ulong) -> *mut c_void {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let table = unsafe { backend(data).table.get() };
    table.map_or(ptr::null_mut(), |t| {
        ptr::with_exposed_provenance_mut(Backend::zswap_load(t, offset as u64))
    })
}

/// `ops->zswap_store`: store an entry, return the one replaced, null or an error pointer.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn zswap_store(
    data: *mut c_void,
    offset: c_ulong,
    entry: *mut c_void,
) -> *mut c_void {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let backend = unsafe { backend(data) };
    // SAFETY: As above.
    let Some(t) = (unsafe { backend.table.get() }) else {
        return ENODEV.to_ptr();
    };
    match backend.zswap_store(t, offset as u64, entry.expose_provenance()) {
        Ok(old) => ptr::with_exposed_provenance_mut(old),
        Err(e) => e.to_ptr(),
    }
}

/// `ops->zswap_erase`: forget a slot; return its zswap entry, or null. Never sleeps.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn zswap_erase(data: *mut c_void, offset: c_ulong) -> *mut c_void {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let backend = unsafe { backend(data) };
    // SAFETY: As above.
    let table = unsafe { backend.table.get() };
    table.map_or(ptr::null_mut(), |t| {
        ptr::with_exposed_provenance_mut(backend.zswap_erase(t, offset as u64))
    })
}

/// `ops->free_range`: slots `offset..offset + nr` are being freed: forget them; store in
/// `zswap[i]` the zswap entry of slot `offset + i` (or null) and in `phys[i]` the physical slot
/// that backed it (or 0), which the caller frees in a batch. Never sleeps.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation; `zswap` and
/// `phys` point to arrays of `nr` elements that the caller owns.
unsafe extern "C" fn free_range(
    data: *mut c_void,
    offset: c_ulong,
    nr: c_uint,
    zswap: *mut *mut c_void,
    phys: *mut bindings::swp_entry_t,
) {
    let nr = nr as usize;
    // SAFETY: By the safety requirements, `zswap` and `phys` are valid for `nr` elements, and
    // nothing else accesses them during the call.
    let (zswap, phys) = unsafe {
        (
            core::slice::from_raw_parts_mut(zswap, nr),
            core::slice::from_raw_parts_mut(phys, nr),
        )
    };
    zswap.fill(ptr::null_mut());
    phys.fill(bindings::swp_entry_t { val: 0 });
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let backend = unsafe { backend(data) };
    // SAFETY: As above.
    let Some(table) = (unsafe { backend.table.get() }) else {
        return;
    };
    backend.free_range(table, offset as u64, nr, |i, entry, backing| {
        if let (Some(z), Some(p)) = (zswap.get_mut(i), phys.get_mut(i)) {
            *z = ptr::with_exposed_provenance_mut(entry);
            if let Some(b) = backing {
                *p = swp_entry(b);
            }
        }
    });
}

/// `ops->writeout_rejected`: zswap rejected a folio that stays resident.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn writeout_rejected(data: *mut c_void, _offset: c_ulong) {
    // SAFETY: Called by the swap core with the registered private pointer.
    unsafe { backend(data) }.writeout_rejected();
}

/// `ops->alloc_phys`: back a slot with a physical slot, if it maps the expected zswap entry.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn alloc_phys(
    data: *mut c_void,
    offset: c_ulong,
    folio: *mut bindings::folio,
    expected: *mut c_void,
) -> c_int {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let backend = unsafe { backend(data) };
    // SAFETY: As above.
    let Some(t) = (unsafe { backend.table.get() }) else {
        return ENODEV.to_errno();
    };
    // SAFETY: The swap core passes the slot's locked swap cache folio, locked for the call.
    let folio = unsafe { SwapCacheFolio::from_raw(folio) };
    match backend.alloc_phys(t, offset as u64, &folio, expected.expose_provenance()) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `ops->lookup_phys`: the physical slot backing a slot, or an entry whose `val` is 0.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn lookup_phys(data: *mut c_void, offset: c_ulong) -> bindings::swp_entry_t {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let table = unsafe { backend(data).table.get() };
    table
        .and_then(|t| Backend::lookup_phys(t, offset as u64))
        .map_or(bindings::swp_entry_t { val: 0 }, swp_entry)
}

/// `ops->peek_phys`: the physical slot backing a slot now, or an entry whose `val` is 0; a hint.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn peek_phys(data: *mut c_void, offset: c_ulong) -> bindings::swp_entry_t {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let table = unsafe { backend(data).table.get() };
    table
        .and_then(|t| Backend::peek_phys(t, offset as u64))
        .map_or(bindings::swp_entry_t { val: 0 }, swp_entry)
}

/// `ops->release_phys`: swapoff of a physical device moves a slot's data back to memory.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn release_phys(
    data: *mut c_void,
    offset: c_ulong,
    phys: bindings::swp_entry_t,
    lost: bool,
) -> bool {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let backend = unsafe { backend(data) };
    // SAFETY: As above.
    let Some(t) = (unsafe { backend.table.get() }) else {
        return false;
    };
    match phys_slot(phys) {
        Some(p) => backend.release_phys(t, offset as u64, p, lost),
        None => false,
    }
}

/// `ops->move_phys`: swapoff of a physical device copied a slot's data to another one.
///
/// # Safety
///
/// Called only by the swap core, with the private pointer given to `vswap_backend_register`,
/// in the context `include/linux/vswap_backend.h` documents for this operation.
unsafe extern "C" fn move_phys(
    data: *mut c_void,
    offset: c_ulong,
    from: bindings::swp_entry_t,
    to: bindings::swp_entry_t,
) -> bool {
    // SAFETY: A hook, called with the registered private pointer between attach and detach.
    let backend = unsafe { backend(data) };
    // SAFETY: As above.
    let Some(t) = (unsafe { backend.table.get() }) else {
        return false;
    };
    match (phys_slot(from), phys_slot(to)) {
        (Some(from), Some(to)) => backend.move_phys(t, offset as u64, from, to),
        _ => false,
    }
}

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
fn swp_entry(p: PhysSlot) -> bindings::swp_entry_t {
    raw_swp_entry(p.ty, p.offset)
}

/// The physical slot an entry names, if its type fits a PHYS word.
fn phys_slot(e: bindings::swp_entry_t) -> Option<PhysSlot> {
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
    unsafe fn from_raw(folio: *mut bindings::folio) -> Self {
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
