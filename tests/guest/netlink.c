/* Routing netlink as a loopback-only machine has it: getifaddrs and if_nameindex (glibc asks
 * through a NETLINK_ROUTE socket), and raw requests: port ids, an interface by index, errors and
 * acknowledgements. Only the loopback interface is printed (the host has others). Nothing here
 * changes the host's interfaces. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "guest.h"

static void show_addr(const char *what, struct sockaddr *sa) {
  char buf[64] = "-";
  if (sa == NULL) {
  } else if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_PACKET) {
    struct sockaddr_ll *ll = (struct sockaddr_ll *)sa;
    snprintf(buf, sizeof buf, "packet index %d type %d len %d", ll->sll_ifindex, ll->sll_hatype, ll->sll_halen);
  }
  printf(" %s %s", what, buf);
}

/* Sends one request and prints what comes back: each message's type, flags and, for errors,
 * the error. */
static void request(int fd, int type, int flags, const void *body, size_t len, unsigned seq) {
  char req[256];
  memset(req, 0, sizeof req);
  struct nlmsghdr *h = (struct nlmsghdr *)req;
  h->nlmsg_len = NLMSG_LENGTH(len);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = seq;
  memcpy(NLMSG_DATA(h), body, len);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, req, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    printf("  sendto: %s\n", strerror(errno));
    return;
  }
  char buf[8192];
  struct sockaddr_nl from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
  if (n < 0) {
    printf("  nothing back: %s\n", strerror(errno));
    return;
  }
  printf("  from port %u (address length %u):", from.nl_pid, fl);
  for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, (size_t)n); m = NLMSG_NEXT(m, n)) {
    printf(" [type %d flags %#x seq %u", m->nlmsg_type, m->nlmsg_flags, m->nlmsg_seq);
    if (m->nlmsg_type == NLMSG_ERROR) {
      struct nlmsgerr *e = NLMSG_DATA(m);
      printf(" error %d (%s) about type %d", e->error, e->error ? strerror(-e->error) : "ack", e->msg.nlmsg_type);
    } else if (m->nlmsg_type == RTM_NEWLINK) {
      struct ifinfomsg *ifi = NLMSG_DATA(m);
      printf(" index %d type %d up %d loopback %d", ifi->ifi_index, ifi->ifi_type, !!(ifi->ifi_flags & IFF_UP), !!(ifi->ifi_flags & IFF_LOOPBACK));
      int alen = IFLA_PAYLOAD(m);
      for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type == IFLA_IFNAME) printf(" name %s", (char *)RTA_DATA(a));
        if (a->rta_type == IFLA_MTU) printf(" mtu %u", *(unsigned *)RTA_DATA(a));
      }
    }
    printf("]");
  }
  printf("\n");
}

int main(void) {
  struct ifaddrs *list;
  TRY("getifaddrs", getifaddrs(&list));
  for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next) {
    if (strcmp(i->ifa_name, "lo") != 0) continue;
    printf("lo: up %d loopback %d running %d,", !!(i->ifa_flags & IFF_UP), !!(i->ifa_flags & IFF_LOOPBACK), !!(i->ifa_flags & IFF_RUNNING));
    show_addr("address", i->ifa_addr);
    show_addr("netmask", i->ifa_netmask);
    printf("\n");
  }
  freeifaddrs(list);
  printf("if_nametoindex(lo) %u, if_indextoname(1) %s, if_nametoindex(nosuch) %u\n", if_nametoindex("lo"),
         if_indextoname(1, (char[IF_NAMESIZE]){0}), if_nametoindex("nosuch0"));

  int ifd = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq r;
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  TRY("SIOCGIFFLAGS lo", ioctl(ifd, SIOCGIFFLAGS, &r));
  printf("  up %d loopback %d running %d\n", !!(r.ifr_flags & IFF_UP), !!(r.ifr_flags & IFF_LOOPBACK), !!(r.ifr_flags & IFF_RUNNING));
  TRY("SIOCGIFMTU lo", ioctl(ifd, SIOCGIFMTU, &r));
  printf("  mtu %d\n", r.ifr_mtu);
  TRY("SIOCGIFADDR lo", ioctl(ifd, SIOCGIFADDR, &r));
  show_addr(" ", &r.ifr_addr);
  TRY("\nSIOCGIFNETMASK lo", ioctl(ifd, SIOCGIFNETMASK, &r));
  show_addr(" ", &r.ifr_netmask);
  TRY("\nSIOCGIFHWADDR lo", ioctl(ifd, SIOCGIFHWADDR, &r));
  printf("  hardware type %d\n", r.ifr_hwaddr.sa_family);
  strcpy(r.ifr_name, "nosuch0");
  TRY("SIOCGIFINDEX nosuch0", ioctl(ifd, SIOCGIFINDEX, &r));
  r.ifr_ifindex = 1;
  TRY("SIOCGIFNAME 1", ioctl(ifd, SIOCGIFNAME, &r));
  printf("  name %s\n", r.ifr_name);
  struct ifreq all[16];
  struct ifconf conf = {.ifc_len = sizeof all, .ifc_req = all};
  TRY("SIOCGIFCONF", ioctl(ifd, SIOCGIFCONF, &conf));
  for (int k = 0; k < conf.ifc_len / (int)sizeof(struct ifreq); k++) {
    if (strcmp(all[k].ifr_name, "lo") != 0) continue;
    printf("  lo in the list:");
    show_addr("", &all[k].ifr_addr);
    printf("\n");
  }
  close(ifd);

  TRY("netlink stream socket", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
  TRY("netlink socketpair", socketpair(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, (int[2]){0, 0}));
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct sockaddr_nl me = {0};
  socklen_t ml = sizeof me;
  TRY("getsockname before bind", getsockname(fd, (struct sockaddr *)&me, &ml));
  printf("  family %d port %u length %u\n", me.nl_family, me.nl_pid, ml);
  struct sockaddr_nl any = {.nl_family = AF_NETLINK};
  TRY("bind to port 0", bind(fd, (struct sockaddr *)&any, sizeof any));
  ml = sizeof me;
  getsockname(fd, (struct sockaddr *)&me, &ml);
  printf("  bound to the process id: %d\n", me.nl_pid == (unsigned)getpid());
  TRY("bind to port 0 again", bind(fd, (struct sockaddr *)&any, sizeof any));
  TRY("bind, short address", bind(fd, (struct sockaddr *)&any, 4));
  int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
  struct sockaddr_nl taken = {.nl_family = AF_NETLINK, .nl_pid = me.nl_pid};
  TRY("bind a second socket to the same port", bind(fd2, (struct sockaddr *)&taken, sizeof taken));
  TRY("bind it to port 0", bind(fd2, (struct sockaddr *)&any, sizeof any));
  ml = sizeof me;
  getsockname(fd2, (struct sockaddr *)&me, &ml);
  printf("  the second port is negative: %d\n", (int)me.nl_pid < 0);
  close(fd2);

  struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 1};
  printf("RTM_GETLINK index 1:\n");
  request(fd, RTM_GETLINK, NLM_F_REQUEST, &ifi, sizeof ifi, 7);
  ifi.ifi_index = 99999;
  printf("RTM_GETLINK index 99999:\n");
  request(fd, RTM_GETLINK, NLM_F_REQUEST, &ifi, sizeof ifi, 8);
  printf("NLMSG_NOOP with NLM_F_ACK:\n");
  request(fd, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, &ifi, 0, 9);
  printf("type 200:\n");
  request(fd, 200, NLM_F_REQUEST, &ifi, sizeof ifi, 10);
  printf("not a request:\n");
  request(fd, RTM_GETLINK, 0, &ifi, sizeof ifi, 11);
  struct sockaddr_nl other = {.nl_family = AF_NETLINK, .nl_pid = 12345};
  TRY("sendto another port", sendto(fd, &ifi, sizeof ifi, 0, (struct sockaddr *)&other, sizeof other));
  close(fd);
  printf("done\n");
  return 0;
}
