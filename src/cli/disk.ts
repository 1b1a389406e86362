// Disk images for the command line: attach one to the exokernel as a block device, and mount
// the ext2 file system on it (the whole image, or its first MBR partition: libexoc's disks.ts)
// as a Volume. Every way this can fail becomes one line (cliError badImage), and nothing is
// written to an image that was refused.

import { BlockDevice, DiskOpenError } from "../hw/devices/blockdev.js";
import type { BlockService } from "../exokernel/blockcap.js";
import type { CapHandle } from "../exokernel/caps.js";
import type { Disks } from "../libexoc/disks.js";
import { MountError } from "../libexoc/ext2/errors.js";
import type { Ext2Volume } from "../libexoc/ext2/volume.js";
import { SysError } from "../libexoc/errors.js";
import { cliError } from "./errors.js";

/** Opens the image file `path` as a block device attached to `blocks`; returns its
 *  capability (the whole disk). A missing, unreadable or locked image is one line. */
export function attachImage(path: string, readOnly: boolean, blocks: BlockService): CapHandle {
  try {
    return blocks.attach(new BlockDevice(path, { readOnly }));
  } catch (e) {
    if (e instanceof DiskOpenError) throw cliError("badImage", path, e.message);
    throw e;
  }
}

/** The file system on device `name` of `disks` (the boot disk's), or one line saying why not
 *  (nothing is written to a refused image). */
export function mountImage(disks: Disks, name: string, path: string, readOnly: boolean): Ext2Volume {
  try {
    return disks.volume(name, readOnly);
  } catch (e) {
    if (e instanceof MountError) throw cliError("badImage", path, e.message);
    if (e instanceof SysError) throw cliError("badImage", path, `cannot read the image (${e.message})`);
    throw e;
  }
}
