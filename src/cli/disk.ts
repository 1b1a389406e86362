// Disk images for the command line: open one (the whole image, or its first MBR partition when
// it has a partition table), attach it to the exokernel as a block device, and mount the ext2
// file system on it as a Volume. Every way this can fail becomes one line (cliError badImage),
// and nothing is written to an image that was refused.

import { BlockDevice, DiskOpenError } from "../hw/devices/blockdev.js";
import { BlockService } from "../exokernel/blockcap.js";
import { CapSpace, R_READ, R_WRITE, type CapHandle } from "../exokernel/caps.js";
import { capDisk, capReader } from "../libexoc/ext2/cache.js";
import { MountError } from "../libexoc/ext2/errors.js";
import { Ext2Fs } from "../libexoc/ext2/fs.js";
import { Ext2Volume } from "../libexoc/ext2/volume.js";
import { SysError } from "../libexoc/errors.js";
import { cliError } from "./errors.js";

/** MBR layout: the boot signature and the first partition entry. */
const MBR_SIGNATURE = 510, MBR_PART1 = 446, PART_TYPE = 4, PART_LBA = 8, PART_SECTORS = 12;
const PART_TYPE_LINUX = 0x83;

export interface OpenedImage {
  volume: Ext2Volume;
  /** Why it was mounted read-only although writing was asked for (null: as asked). */
  readOnlyWhy: string | null;
  /** Unmounts (syncing) and releases the image; again, does nothing. */
  close(): void;
}

/** Opens and mounts `path`; `blocks` defaults to a block service of its own. With `asyncReads`
 *  (a running guest system), file reads that miss the cache wait for the disk through the
 *  scheduler instead of reading synchronously. */
export function openImage(path: string, opts: { readOnly: boolean; blocks?: BlockService; asyncReads?: boolean }): OpenedImage {
  const blocks = opts.blocks ?? new BlockService(new CapSpace());
  let dev: BlockDevice;
  try {
    dev = new BlockDevice(path, { readOnly: opts.readOnly });
  } catch (e) {
    if (e instanceof DiskOpenError) throw cliError("badImage", path, e.message);
    throw e;
  }
  const whole = blocks.attach(dev);
  let fs: Ext2Fs;
  try {
    const cap = partition(blocks, whole, opts.readOnly);
    fs = new Ext2Fs(capDisk(blocks, cap), { readOnly: opts.readOnly });
    if (opts.asyncReads === true) fs.cache.reader = capReader(blocks, cap);
  } catch (e) {
    blocks.detach(whole);
    if (e instanceof MountError) throw cliError("badImage", path, e.message);
    if (e instanceof SysError) throw cliError("badImage", path, `cannot read the image (${e.message})`);
    throw e;
  }
  const volume = new Ext2Volume(fs);
  let closed = false;
  return {
    volume,
    readOnlyWhy: fs.readOnlyWhy,
    close: () => {
      if (closed) return;
      closed = true;
      try {
        volume.unmount();
      } finally {
        blocks.detach(whole);
      }
    },
  };
}

/** The capability for the file system: the first Linux partition of an MBR disk, else all. */
function partition(blocks: BlockService, whole: CapHandle, readOnly: boolean): CapHandle {
  const info = blocks.info(whole);
  const rights = R_READ | (readOnly ? 0 : R_WRITE);
  if (info.sectors < 3) return blocks.range(whole, 0, info.sectors, rights);
  const head = Buffer.alloc(1536);
  blocks.read(whole, 0, head);
  const ext2Magic = head.readUInt16LE(1024 + 56) === 0xef53;
  if (!ext2Magic && head[MBR_SIGNATURE] === 0x55 && head[MBR_SIGNATURE + 1] === 0xaa && head[MBR_PART1 + PART_TYPE] === PART_TYPE_LINUX) {
    const lba = head.readUInt32LE(MBR_PART1 + PART_LBA);
    const count = head.readUInt32LE(MBR_PART1 + PART_SECTORS);
    if (lba > 0 && lba + count <= info.sectors) return blocks.range(whole, lba, count, rights);
  }
  return blocks.range(whole, 0, info.sectors, rights);
}
