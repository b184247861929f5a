// SPDX-License-Identifier: GPL-2.0

//! The vtable of the attached device as the kernel holds it: its leaves from the page allocator
//! ([`KernelLeaves`]) and its owner between `attach` and `detach` ([`AttachedTable`]), which the
//! hooks reach without a lock.

use crate::{
    sys::KernelLeaves,
    vtable::{
        Cluster,
        Stats,
        Table, //
    },
};
use core::{
    ptr,
    sync::atomic::{
        AtomicPtr,
        Ordering::{
            AcqRel,
            Acquire, //
        }, //
    },
};
use kernel::{
    prelude::*,
    sync::Arc, //
};

/// The vtable type of the attached device.
pub(crate) type KernelVtable = Table<KVVec<Cluster>, KernelLeaves, Arc<Stats>>;

/// The vtable of the attached device, reachable from the hooks without a lock.
///
/// # Invariants
///
/// `ptr` is null or comes from `KBox::into_raw` and is owned by this object.
pub(crate) struct AttachedTable {
    ptr: AtomicPtr<KernelVtable>,
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
    pub(crate) fn install(&self, table: KBox<KernelVtable>) -> Result<(), KBox<KernelVtable>> {
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
    pub(crate) fn take(&self) -> Option<KBox<KernelVtable>> {
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
    pub(crate) unsafe fn get(&self) -> Option<&KernelVtable> {
        let raw = self.ptr.load(Acquire);
        // SAFETY: By the safety requirements the table is not taken before the hook returns.
        unsafe { raw.as_ref() }
    }
}

// SAFETY: The table is shared by the hooks through `&` only; `KernelVtable` is `Sync`.
unsafe impl Sync for AttachedTable {}
// SAFETY: Ownership of the table can move between threads.
unsafe impl Send for AttachedTable {}
