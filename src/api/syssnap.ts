// Snapshots of a booted system (system.ts): what progsnap.ts keeps of any system (RAM in use,
// every environment's registers, the exokernel's and libexoc's objects, host descriptors, time)
// and its disks. A booted system runs on its own, so snapshots and restores are requests that
// its run loop serves between two turns (RunLoop `between`), once the disks have no transfer in
// flight (a transfer completing later would write guest RAM, or report to a thread, after the
// state was taken or put back).
//
// Disks: from the first snapshot on, each disk keeps the sectors written to it in memory (its
// overlay, hw/devices/diskoverlay.ts) instead of writing its image; a snapshot keeps the
// overlay's map as it was, so a restore gives every disk back exactly, in any order of
// restores. When the last snapshot is released, or the system ends, the overlay is written to
// the image: the image ends up as the last state the system ran in, and nothing is lost.

import type { Exokernel } from "../exokernel/kernel.js";
import { ExojitError } from "./errors.js";
import { captureSystem, imageOf, newSnapshotStats, opaqueOf, restoreSystem, SystemSnapshot } from "./progsnap.js";
import { checkFits, loadDisks, loadSystem } from "./snapserial.js";
import type { OpaqueTest } from "./stategraph.js";

export class BootSnapshots {
  /** Requests waiting for the next pause between turns. */
  private queue: { run: () => void; fail: (e: Error) => void }[] = [];
  private ended = false;
  private live = 0;
  readonly stats = newSnapshotStats();

  constructor(
    private readonly kernel: Exokernel,
    /** What the state is reached from (the kernel, the library OS, the boot's disks). */
    private readonly roots: readonly object[],
    /** Objects of the host side that are not state (the console's streams). */
    private readonly opaque: OpaqueTest,
    /** Makes an idle run loop look again. */
    private readonly wake: () => void,
  ) {}

  /** The run loop's `between`: serves the requests made since the last turn. */
  readonly between = (): Promise<void> | null => (this.queue.length === 0 ? null : this.serve());

  private async serve(): Promise<void> {
    const disks = this.kernel.blocks.devices();
    while (disks.some((d) => d.pending > 0)) await new Promise<void>((r) => setImmediate(r));
    const q = this.queue;
    this.queue = [];
    for (const r of q) r.run();
  }

  private request<T>(f: () => T): Promise<T> {
    if (this.ended) return Promise.reject(new ExojitError("E_CLOSED", "the system has ended"));
    return new Promise<T>((resolve, reject) => {
      const run = (): void => {
        try {
          resolve(f());
        } catch (e) {
          reject(e);
        }
      };
      this.queue.push({ run, fail: reject });
      this.wake();
    });
  }

  snapshot(): Promise<SystemSnapshot> {
    return this.request(() => {
      const disks = this.kernel.blocks.devices();
      for (const d of disks) d.beginOverlay();
      const img = captureSystem(this.kernel, this.roots, this.opaque);
      img.disks = disks.map((dev) => ({ dev, sectors: dev.overlayState() }));
      img.kind = "system";
      // Written out, the disks are their images with the snapshot's sectors on top: true only
      // while the system runs (when it ends, the overlays go into the images).
      img.unsaveable = () => (this.ended ? "the system has ended (its disks have been written since)" : null);
      this.live++;
      img.onRelease = () => {
        // The last snapshot gone: the disks write their images again (between turns).
        if (--this.live === 0 && !this.ended) void this.request(() => this.commit()).catch(() => {});
      };
      this.stats.taken++;
      return SystemSnapshot.make(this, img);
    });
  }

  restore(snap: SystemSnapshot): Promise<void> {
    let r: ReturnType<typeof imageOf>;
    try {
      r = imageOf(snap, this);
      if ("parsed" in r) checkFits(r.parsed, this.kernel, this.roots.length, "system", this.kernel.blocks.devices());
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request(() => {
      if ("parsed" in r) {
        // Loaded from bytes: the disks get the saved contents as their overlays.
        const disks = this.kernel.blocks.devices();
        loadSystem(this.kernel, this.roots, r.parsed, this.stats, opaqueOf(this.kernel, this.opaque));
        loadDisks(r.parsed, disks);
      } else {
        const img = r.img;
        if (img.released) throw new ExojitError("E_SNAPSHOT", "the snapshot was released");
        restoreSystem(this.kernel, this.roots, img, this.stats, this.opaque);
        for (const { dev, sectors } of img.disks) if (sectors !== null) dev.setOverlay(sectors);
      }
      this.stats.restores++;
    });
  }

  /** Writes the disks' overlays to their images (no snapshot can bring them back any more). */
  private commit(): void {
    if (this.live > 0) return;
    for (const d of this.kernel.blocks.devices()) d.commitOverlay();
  }

  /** The system has ended: requests not served fail with E_CLOSED (closing the disks writes
   *  their overlays out). */
  end(): void {
    this.ended = true;
    const q = this.queue;
    this.queue = [];
    for (const r of q) r.fail(new ExojitError("E_CLOSED", "the system has ended"));
  }
}
