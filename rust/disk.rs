// SPDX-License-Identifier: GPL-2.0

//! `/dev/vswap0`: the block device that names the vswap backend.
//!
//! Swap data never goes through this device: the swap core sends a vswap slot's data to zswap
//! (and, later, to physical swap devices). What the device sees is stray I/O: `blkid` and udev
//! probes, `mkswap`, `swapon` reading the header. It serves its first page, a valid swap header,
//! from memory, takes writes to that page, answers other reads with zeroes and fails other
//! writes, and counts all of it. Modelled on `drivers/block/rnull`.
//!
//! Until the backend is registered ([`IoStats::ready`]) the device looks empty: reads return
//! zeroes, writes fail. Otherwise a swap unit or fstab line that fires as soon as the disk
//! appears could swap on it as an ordinary swap device, before the swap core knows it is
//! virtual. Once ready, the module drops the zeroes cached for it and tells udev to probe again.

use crate::{
    header::{
        self,
        HEADER_SIZE, //
    },
    sys::{
        self,
        Served, //
    },
};
use core::sync::atomic::{
    AtomicBool,
    AtomicU64,
    Ordering::{
        Acquire,
        Relaxed, //
    }, //
};
use kernel::{
    block::{
        self,
        mq::{
            self,
            gen_disk::{
                GenDisk,
                GenDiskBuilder, //
            },
            Operations,
            TagSet, //
        },
    },
    new_spinlock,
    prelude::*,
    sync::{
        aref::ARef,
        Arc,
        SpinLock, //
    },
};

/// The UUID in the header the device serves until `mkswap` writes another.
const UUID: [u8; 16] = *b"vswap-virtual-00";

/// Counters of the I/O the device answered.
#[derive(Default)]
pub(crate) struct IoStats {
    /// Reads served (the header page, zeroes elsewhere).
    pub(crate) reads: AtomicU64,
    /// Writes to the header page taken (mkswap).
    pub(crate) header_writes: AtomicU64,
    /// Requests refused: writes beyond the header (or anywhere before the device is ready),
    /// unsupported operations.
    pub(crate) rejected: AtomicU64,
    /// The backend is registered: the device serves its header. Before that, and again once the
    /// module starts unloading, it serves zeroes only.
    pub(crate) ready: AtomicBool,
}

/// The state behind the request queue.
#[pin_data]
pub(crate) struct DiskData {
    /// The first page of the device.
    #[pin]
    header: SpinLock<[u8; HEADER_SIZE]>,
    /// What the device answered.
    stats: Arc<IoStats>,
}

/// The blk-mq operations of `/dev/vswap0`.
pub(crate) struct VswapDisk;

impl VswapDisk {
    /// Creates and adds `/dev/vswap0` with `nr_pages` pages.
    pub(crate) fn new(nr_pages: u64, stats: Arc<IoStats>) -> Result<GenDisk<Self>> {
        let mut page = [0u8; HEADER_SIZE];
        if !header::write(&mut page, nr_pages, UUID, b"vswap0") {
            return Err(EINVAL);
        }
        let tagset = Arc::pin_init(TagSet::new(1, 64, 1), GFP_KERNEL)?;
        let data = KBox::pin_init(
            try_pin_init!(DiskData {
                header <- new_spinlock!(page, "vswap::DiskData::header"),
                stats,
            }),
            GFP_KERNEL,
        )?;
        GenDiskBuilder::new()
            .capacity_sectors(nr_pages * (kernel::page::PAGE_SIZE >> block::SECTOR_SHIFT) as u64)
            .logical_block_size(512)?
            .physical_block_size(4096)?
            .rotational(false)
            .build(fmt!("vswap0"), tagset, data)
    }
}

#[vtable]
impl Operations for VswapDisk {
    type QueueData = Pin<KBox<DiskData>>;
    // An open /dev/vswap0 pins the module: its fops table lives here.
    const OWNER: &'static ThisModule = &crate::THIS_MODULE;

    fn queue_rq(data: Pin<&DiskData>, rq: ARef<mq::Request<Self>>, _is_last: bool) -> Result {
        let served = {
            let mut page = data.header.lock();
            let len = if data.stats.ready.load(Acquire) {
                HEADER_SIZE
            } else {
                0
            };
            let served = sys::serve_request(&rq, &mut page[..len]);
            if let Ok(Served::Write) = served {
                // mkswap: say what the device will now tell swapon.
                match header::parse(&page) {
                    Some(info) => pr_info!(
                        "vswap0: new swap header: {} pages, {} bad\n",
                        u64::from(info.last_page) + 1,
                        info.nr_badpages
                    ),
                    None => pr_info!("vswap0: header page rewritten; it is not a swap header\n"),
                }
            }
            served
        };
        let counter = match served {
            Ok(Served::Read) => &data.stats.reads,
            Ok(Served::Write) => &data.stats.header_writes,
            Ok(Served::Flush) => return end(rq),
            Err(_) => &data.stats.rejected,
        };
        counter.fetch_add(1, Relaxed);
        // An error return ends the request with that error.
        served?;
        end(rq)
    }

    fn commit_rqs(_data: Pin<&DiskData>) {}

    fn complete(_rq: ARef<mq::Request<Self>>) {}
}

/// Ends `rq` successfully.
fn end(rq: ARef<mq::Request<VswapDisk>>) -> Result {
    // We take no other reference on the request, so `end_ok` cannot fail; map the impossible
    // anyway rather than panic.
    mq::Request::end_ok(rq).map_err(|_| EIO)
}
