// SPDX-License-Identifier: GPL-2.0

//! The C entry points into the module, above the backend: the vswap backend registration and
//! its operations (`ops->attach` ... `ops->free_range`), and the show callback of the sysfs
//! statistics (`c/vswap_sysfs.c`). Each converts C arguments and hands the call to
//! [`Backend`] or [`Stats`].
//!
//! # Hook contract
//!
//! Every `unsafe extern "C" fn` of `struct vswap_backend_ops` below is called only by the swap
//! core, with the private pointer given to `vswap_backend_register` (a live [`Backend`], which
//! the [`Registration`] keeps alive), in the context `include/linux/vswap_backend.h` documents
//! for that operation, and, but for `attach` itself, between `attach` and `detach` of the
//! device. Pointer arguments are valid for the call as that header states.
//!
//! C header: [`include/linux/vswap_backend.h`](srctree/include/linux/vswap_backend.h)

use crate::{
    backend::Backend,
    ktable::KernelVtable,
    stats::Stats,
    sys::{
        phys_slot,
        swp_entry,
        SwapCacheFolio, //
    },
};
use core::{
    ffi::{
        c_char,
        c_void, //
    },
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
        Operations, //
    },
    prelude::*,
    sync::Arc, //
};

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

/// Formats the sysfs file named `name` of `/sys/block/vswap0/vswap/` into `buf`; called by
/// `c/vswap_sysfs.c`.
///
/// # Safety
///
/// `name` is a NUL-terminated string valid for the call, `buf` is a sysfs show buffer
/// (`PAGE_SIZE` bytes, writable), and the call comes from a show callback of the directory of a
/// live [`SysfsDir`].
#[no_mangle]
unsafe extern "C" fn vswap_sysfs_show(name: *const c_char, buf: *mut c_char) -> isize {
    // SAFETY: By the safety requirements `name` is a NUL-terminated string valid for the call.
    let name = unsafe { CStr::from_char_ptr(name.cast()) };
    let Some(file) = crate::stat::File::ALL
        .into_iter()
        .find(|f| f.name().as_bytes() == name.to_bytes())
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
        let mut ops = KBox::new(
            bindings::vswap_backend_ops {
                owner: module.as_ptr(),
                attach: Some(attach),
                detach: Some(detach),
                zswap_load: Some(zswap_load),
                zswap_store: Some(zswap_store),
                zswap_erase: Some(zswap_erase),
                kept_resident: Some(kept_resident),
                alloc_phys: Some(alloc_phys),
                lookup_phys: Some(lookup_phys),
                peek_phys: Some(peek_phys),
                release_phys: Some(release_phys),
                move_phys: Some(move_phys),
                free_range: Some(free_range),
                free_defer,
                // Packed writeback: set below, with the `pack` parameter.
                pack: None,
                pack_flush: None,
                lookup_packed: None,
                block_owners: None,
            },
            GFP_KERNEL,
        )?;
        if backend.packer.is_some() {
            // Packed writeback, all or nothing: only with the `pack` parameter.
            ops.pack = Some(pack);
            ops.pack_flush = Some(pack_flush);
            ops.lookup_packed = Some(lookup_packed);
            ops.block_owners = Some(block_owners);
        }
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

/// The backend behind a hook's private pointer, and its table: `None` only if the hook races
/// with nothing attached, which the swap core does not do.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe fn attached<'a>(data: *mut c_void) -> (&'a Backend, Option<&'a KernelVtable>) {
    // SAFETY: By the hook contract `data` is the registered private pointer.
    let backend = unsafe { backend(data) };
    // SAFETY: By the hook contract the call comes between `attach` and `detach`.
    (backend, unsafe { backend.table.get() })
}

/// `ops->attach`: swapon of the registered disk.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn attach(data: *mut c_void, ty: c_uint, nr_pages: c_ulong) -> c_int {
    // SAFETY: The hook contract.
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
/// The hook contract (module documentation).
unsafe extern "C" fn detach(data: *mut c_void) {
    // SAFETY: The hook contract.
    unsafe { backend(data) }.detach();
}

/// `ops->zswap_load`: the zswap entry of a slot, or null.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn zswap_load(data: *mut c_void, offset: c_ulong) -> *mut c_void {
    // SAFETY: The hook contract.
    let (_, table) = unsafe { attached(data) };
    table.map_or(ptr::null_mut(), |t| {
        ptr::with_exposed_provenance_mut(Backend::zswap_load(t, offset as u64))
    })
}

/// `ops->zswap_store`: store an entry, return the one replaced, null or an error pointer.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn zswap_store(
    data: *mut c_void,
    offset: c_ulong,
    entry: *mut c_void,
) -> *mut c_void {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let Some(t) = table else {
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
/// The hook contract (module documentation).
unsafe extern "C" fn zswap_erase(data: *mut c_void, offset: c_ulong) -> *mut c_void {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
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
/// The hook contract (module documentation); `zswap` and `phys` point to arrays of `nr`
/// elements that the caller owns.
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
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let Some(table) = table else {
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

/// `ops->kept_resident`: zswap rejected a folio and no physical slot took it: it stays resident.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn kept_resident(data: *mut c_void, _offset: c_ulong) {
    // SAFETY: The hook contract.
    unsafe { backend(data) }.kept_resident();
}

/// `ops->alloc_phys`: back a slot with a physical slot, if it maps the expected zswap entry.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn alloc_phys(
    data: *mut c_void,
    offset: c_ulong,
    folio: *mut bindings::folio,
    expected: *mut c_void,
) -> c_int {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let Some(t) = table else {
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
/// The hook contract (module documentation).
unsafe extern "C" fn lookup_phys(data: *mut c_void, offset: c_ulong) -> bindings::swp_entry_t {
    // SAFETY: The hook contract.
    let (_, table) = unsafe { attached(data) };
    table
        .and_then(|t| Backend::lookup_phys(t, offset as u64))
        .map_or(bindings::swp_entry_t { val: 0 }, swp_entry)
}

/// `ops->peek_phys`: the physical slot backing a slot now, or an entry whose `val` is 0; a hint.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn peek_phys(data: *mut c_void, offset: c_ulong) -> bindings::swp_entry_t {
    // SAFETY: The hook contract.
    let (_, table) = unsafe { attached(data) };
    table
        .and_then(|t| Backend::peek_phys(t, offset as u64))
        .map_or(bindings::swp_entry_t { val: 0 }, swp_entry)
}

/// `ops->release_phys`: swapoff of a physical device moves a slot's data back to memory.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn release_phys(
    data: *mut c_void,
    offset: c_ulong,
    phys: bindings::swp_entry_t,
    lost: bool,
) -> bool {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let Some(t) = table else {
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
/// The hook contract (module documentation).
unsafe extern "C" fn move_phys(
    data: *mut c_void,
    offset: c_ulong,
    from: bindings::swp_entry_t,
    to: bindings::swp_entry_t,
) -> bool {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let Some(t) = table else {
        return false;
    };
    match (phys_slot(from), phys_slot(to)) {
        (Some(from), Some(to)) => backend.move_phys(t, offset as u64, from, to),
        _ => false,
    }
}

/// `ops->pack`: zswap writes back a slot's entry; pack it instead of decompressing it.
///
/// # Safety
///
/// The hook contract (module documentation); `folio` is the slot's locked swap cache folio and
/// `entry` its zswap entry, which become ours when this returns 0.
unsafe extern "C" fn pack(
    data: *mut c_void,
    offset: c_ulong,
    folio: *mut bindings::folio,
    entry: *mut c_void,
) -> c_int {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let (Some(t), Some(packer)) = (table, backend.packer.as_ref()) else {
        return ENODEV.to_errno();
    };
    // SAFETY: `folio` and `entry` are this `ops->pack` call's, by the safety requirements.
    match unsafe { packer.pack(t, offset as u64, folio, entry) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `ops->pack_flush`: write the block being filled.
///
/// # Safety
///
/// The hook contract (module documentation).
unsafe extern "C" fn pack_flush(data: *mut c_void) {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    if let (Some(t), Some(packer)) = (table, backend.packer.as_ref()) {
        packer.flush(t);
    }
}

/// `ops->lookup_packed`: where a slot's packed data is, if it is packed.
///
/// # Safety
///
/// The hook contract (module documentation); `loc` is writable.
unsafe extern "C" fn lookup_packed(
    data: *mut c_void,
    offset: c_ulong,
    loc: *mut bindings::vswap_packed,
) -> bool {
    // SAFETY: The hook contract.
    let (backend, table) = unsafe { attached(data) };
    let Some(found) = table.and_then(|t| backend.lookup_packed(t, offset as u64)) else {
        return false;
    };
    // SAFETY: By the safety requirements `loc` is writable for the call.
    unsafe { loc.write(found) };
    true
}

/// `VSWAP_BLOCK_OBJECTS`: a block's objects start on distinct 512-byte sectors of one page.
const BLOCK_OBJECTS: usize = crate::packed::BLOCK_SECTORS as usize;
const _: () = assert!(BLOCK_OBJECTS == bindings::PAGE_SIZE / 512);

/// `ops->block_owners`: the slots whose packed data is in a block, for swapoff of its device.
///
/// # Safety
///
/// The hook contract (module documentation); `offsets` has room for `VSWAP_BLOCK_OBJECTS`.
unsafe extern "C" fn block_owners(
    data: *mut c_void,
    block: bindings::swp_entry_t,
    offsets: *mut c_ulong,
) -> c_uint {
    // SAFETY: The hook contract.
    let backend = unsafe { backend(data) };
    let (Some(packer), Some(p)) = (backend.packer.as_ref(), phys_slot(block)) else {
        return 0;
    };
    // SAFETY: By the safety requirements `offsets` has room for `VSWAP_BLOCK_OBJECTS`, ours
    // for the call.
    let out = unsafe { core::slice::from_raw_parts_mut(offsets, BLOCK_OBJECTS) };
    packer.owners(p, out) as c_uint
}
