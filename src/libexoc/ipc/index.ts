// Inter-process communication as library policy: System V shared memory, semaphores and
// message queues (ids.ts, shm.ts, sem.ts, msg.ts), POSIX message queues and their file system
// (mqueue.ts). One instance per system, as one IPC name space is in Linux. POSIX shared memory
// needs nothing here: shm_open is glibc's open of a file in /dev/shm, a tmpfs whose mapped
// pages the page cache shares between processes.

import type { PageCache } from "../pagecache.js";
import type { Process } from "../process.js";
import { SharedMemory } from "./shm.js";
import { Semaphores } from "./sem.js";
import { MessageQueues } from "./msg.js";
import { MqueueFs } from "./mqueue.js";

export class Ipc {
  readonly shm: SharedMemory;
  readonly sem = new Semaphores();
  readonly msg = new MessageQueues();
  /** The mqueue file system: mq_open's queues, mountable as type "mqueue". */
  readonly mqueue = new MqueueFs();

  constructor(cache: PageCache) {
    this.shm = new SharedMemory(cache);
  }

  /** A process ended (its last thread did): its SEM_UNDO adjustments are applied. (Its shared
   *  memory attachments went with its memory.) */
  exit(p: Process): void {
    this.sem.exit(p);
  }
}
