// SPDX-License-Identifier: GPL-2.0

//! Host test crate for the plain-`core` parts of the vswap module.
//!
//! The files under test are the module's own sources, included by path, so the code tested here
//! is byte for byte the code built into `vswap.ko`.

#![no_std]
#![cfg_attr(not(test), allow(dead_code))]

#[cfg(test)]
extern crate std;

#[path = "../../config.rs"]
mod config;
#[path = "../../header.rs"]
mod header;
#[path = "../../packed.rs"]
mod packed;
#[path = "../../phys.rs"]
mod phys;
#[path = "../../stat.rs"]
mod stat;
#[path = "../../vtable.rs"]
mod vtable;
#[path = "../../word.rs"]
mod word;

#[cfg(test)]
mod config_tests;
#[cfg(test)]
mod header_tests;
#[cfg(test)]
mod packed_tests;
#[cfg(test)]
mod phys_tests;
#[cfg(test)]
mod rng;
#[cfg(test)]
mod stat_tests;
#[cfg(test)]
mod vtable_tests;
#[cfg(test)]
mod word_tests;
