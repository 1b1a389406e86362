// /proc/vmstat, /proc/partitions, /proc/diskstats and /proc/swaps: the memory counters and the
// block devices as Linux 6.1 prints them on i686 (mm/vmstat.c, block/genhd.c, mm/swapfile.c).
// Memory figures come from the same counts as meminfo (the exokernel's frames and the page
// cache); the block devices are sysfs's (the disks, then the loop devices). Event counters
// exojit does not keep (page faults, allocations, reclaim) print as 0, as meminfo's kernel
// figures do; there is no swap.

import type { System } from "../system.js";
import { ioStats } from "../sysfs.js";
import { memoryPages } from "./global.js";

/** Linux's default vm.dirty_ratio and vm.dirty_background_ratio (percent of dirtyable pages). */
const DIRTY_RATIO = 20, DIRTY_BACKGROUND_RATIO = 10;

/** Event counters of a 6.1 i686 kernel (CONFIG_VM_EVENT_COUNTERS, no NUMA, no THP), in its order
 *  after pgpgin, pgpgout, pswpin and pswpout, which come from the disks. */
const EVENTS = [
  "pgalloc_dma", "pgalloc_normal", "pgalloc_high", "pgalloc_movable",
  "allocstall_dma", "allocstall_normal", "allocstall_high", "allocstall_movable",
  "pgskip_dma", "pgskip_normal", "pgskip_high", "pgskip_movable",
  "pgfree", "pgactivate", "pgdeactivate", "pglazyfree", "pgfault", "pgmajfault", "pglazyfreed", "pgrefill", "pgreuse",
  "pgsteal_kswapd", "pgsteal_direct", "pgdemote_kswapd", "pgdemote_direct", "pgscan_kswapd", "pgscan_direct",
  "pgscan_direct_throttle", "pgscan_anon", "pgscan_file", "pgsteal_anon", "pgsteal_file",
  "pginodesteal", "slabs_scanned", "kswapd_inodesteal", "kswapd_low_wmark_hit_quickly", "kswapd_high_wmark_hit_quickly",
  "pageoutrun", "pgrotated", "drop_pagecache", "drop_slab", "oom_kill",
  "pgmigrate_success", "pgmigrate_fail", "thp_migration_success", "thp_migration_fail", "thp_migration_split",
  "compact_migrate_scanned", "compact_free_scanned", "compact_isolated", "compact_stall", "compact_fail", "compact_success",
  "compact_daemon_wake", "compact_daemon_migrate_scanned", "compact_daemon_free_scanned",
  "unevictable_pgs_culled", "unevictable_pgs_scanned", "unevictable_pgs_rescued", "unevictable_pgs_mlocked",
  "unevictable_pgs_munlocked", "unevictable_pgs_cleared", "unevictable_pgs_stranded",
  "swap_ra", "swap_ra_hit", "direct_map_level2_splits", "direct_map_level3_splits", "nr_unstable",
];

/** /proc/vmstat: one "name value" line per counter, in pages (nr_kernel_stack in KiB). */
export function vmstatText(sys: System): string {
  const { free, c, anon } = memoryPages(sys);
  // Dirtyable memory is what is free plus the file pages (global_dirtyable_memory).
  const dirtyable = free + c.files;
  let readSectors = 0, writtenSectors = 0;
  for (const b of sys.blockDevices()) {
    readSectors += b.io[1];
    writtenSectors += b.io[3];
  }
  const rows: [string, number][] = [
    // zone counters (one zone's worth: all of guest RAM is low memory)
    ["nr_free_pages", free], ["nr_zone_inactive_anon", 0], ["nr_zone_active_anon", anon + c.shmem],
    ["nr_zone_inactive_file", c.idle], ["nr_zone_active_file", c.mapped], ["nr_zone_unevictable", 0],
    ["nr_zone_write_pending", 0], ["nr_mlock", 0], ["nr_bounce", 0], ["nr_zspages", 0], ["nr_free_cma", 0],
    // node counters
    ["nr_inactive_anon", 0], ["nr_active_anon", anon + c.shmem], ["nr_inactive_file", c.idle], ["nr_active_file", c.mapped],
    ["nr_unevictable", 0], ["nr_slab_reclaimable", 0], ["nr_slab_unreclaimable", 0], ["nr_isolated_anon", 0], ["nr_isolated_file", 0],
    ["workingset_nodes", 0], ["workingset_refault_anon", 0], ["workingset_refault_file", 0], ["workingset_activate_anon", 0],
    ["workingset_activate_file", 0], ["workingset_restore_anon", 0], ["workingset_restore_file", 0], ["workingset_nodereclaim", 0],
    ["nr_anon_pages", anon], ["nr_mapped", c.mapped], ["nr_file_pages", c.files + c.shmem], ["nr_dirty", 0], ["nr_writeback", 0],
    ["nr_writeback_temp", 0], ["nr_shmem", c.shmem], ["nr_shmem_hugepages", 0], ["nr_shmem_pmdmapped", 0], ["nr_file_hugepages", 0],
    ["nr_file_pmdmapped", 0], ["nr_anon_transparent_hugepages", 0], ["nr_vmscan_write", 0], ["nr_vmscan_immediate_reclaim", 0],
    ["nr_dirtied", 0], ["nr_written", 0], ["nr_throttled_written", 0], ["nr_kernel_misc_reclaimable", 0],
    ["nr_foll_pin_acquired", 0], ["nr_foll_pin_released", 0], ["nr_kernel_stack", 0], ["nr_page_table_pages", 0], ["nr_swapcached", 0],
    // writeback thresholds
    ["nr_dirty_threshold", Math.floor((dirtyable * DIRTY_RATIO) / 100)],
    ["nr_dirty_background_threshold", Math.floor((dirtyable * DIRTY_BACKGROUND_RATIO) / 100)],
    // events: KiB read from and written to block devices, no swapping
    ["pgpgin", Math.floor(readSectors / 2)], ["pgpgout", Math.floor(writtenSectors / 2)], ["pswpin", 0], ["pswpout", 0],
    ...EVENTS.map((name): [string, number] => [name, 0]),
  ];
  return rows.map(([name, v]) => `${name} ${v}\n`).join("");
}

/** /proc/partitions: each block device with a size, in 1 KiB blocks (show_partition). */
export function partitionsText(sys: System): string {
  const rows = sys.blockDevices().filter((b) => b.sectors > 0);
  return "major minor  #blocks  name\n\n" + rows.map((b) => `${String(b.major).padStart(4)}  ${String(b.minor).padStart(7)} ${String(Math.floor(b.sectors / 2)).padStart(10)} ${b.name}\n`).join("");
}

/** /proc/diskstats: every block device's I/O statistics (diskstats_show), as its sysfs stat. */
export function diskstatsText(sys: System): string {
  return sys.blockDevices().map((b) => `${String(b.major).padStart(4)} ${String(b.minor).padStart(7)} ${b.name} ${ioStats(b).join(" ")}\n`).join("");
}

/** /proc/swaps: the header, and no swap areas (swapon(2) is not offered). */
export function swapsText(): string {
  return "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
}
