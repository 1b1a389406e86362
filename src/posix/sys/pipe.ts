// pipe and pipe2: a new pipe's two ends installed as two descriptors.

import type { Sys } from "../types.js";
import { sysError } from "../../libexoc/errors.js";
import { makePipe } from "../../libexoc/pipe.js";
import { O_CLOEXEC, O_NONBLOCK, O_DIRECT } from "../abi/fcntl.js";

/** pipe2: O_DIRECT (packet mode) is accepted, but reads are not split into packets. */
export const pipe2: Sys = (t, fdsVa, flags) => {
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT)) !== 0) sysError("EINVAL");
  t.mem.check(fdsVa, 8, true);
  const [r, w] = makePipe((flags & O_NONBLOCK) !== 0);
  const [rfd, wfd] = t.fds.addPair(r, w, (flags & O_CLOEXEC) !== 0);
  t.mem.putU32(fdsVa, rfd);
  t.mem.putU32(fdsVa + 4, wfd);
  return 0;
};

export const pipe: Sys = (t, fdsVa) => pipe2(t, fdsVa, 0, 0, 0, 0, 0);
