// Sockets, differential: tests/guest/sockets.c (unix sockets: socketpair of each type, named
// and abstract stream, datagram and sequenced-packet sockets, SCM_RIGHTS, SO_PEERCRED, poll,
// errors), tests/guest/inet.c (TCP and UDP on 127.0.0.1) and tests/guest/inet6.c (IPv6 on ::1,
// dual-stack sockets, IPV6_V6ONLY) and tests/guest/netlink.c (routing netlink, interface
// ioctls) run natively (the host kernel is
// the oracle) and under exojit with every engine, in a fresh directory each, where the program
// binds its names; stdout, stderr and the exit status must match byte for byte.

import { expect } from "vitest";
import { differentialSuite, type DiffCase } from "./helpers/differential.js";

const CASES: DiffCase[] = [
  { name: "sockets: socketpairs, named and abstract sockets, listen/connect/accept, datagrams, SCM_RIGHTS, SO_PEERCRED, poll", src: "sockets.c" },
  { name: "inet: TCP and UDP on the loopback network, between processes, with addresses and errors", src: "inet.c" },
  { name: "inet6: TCP and UDP over ::1, dual-stack listeners and v4-mapped peers, IPV6_V6ONLY, IPv6 options and errors", src: "inet6.c" },
  { name: "tcpopts: MSG_MORE, TCP_CORK and UDP_CORK holding data back; IPPROTO_TCP's options, TCP_INFO, TCP_CONGESTION", src: "tcpopts.c" },
  { name: "netlink: getifaddrs and if_nameindex through routing netlink, interface ioctls, port ids, requests, errors and acks (the loopback interface only)", src: "netlink.c" },
];

differentialSuite({
  cases: CASES,
  tmpPrefix: "exojit-sock-",
  oracleTitle: "socket programs natively (the oracle itself)",
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain("\ndone\n");
  },
});
