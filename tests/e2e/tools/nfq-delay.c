/*
 * nfq-delay: holds every packet of an NFQUEUE for a fixed time, then lets it
 * through. The test bed's kernel has no netem (nor fq/etf, which would honour
 * a BPF-set departure time), so the e2e loss tests give their namespace a real
 * round-trip time this way:
 *
 *   iptables -A OUTPUT -p udp -j NFQUEUE --queue-num N --queue-bypass
 *   nfq-delay N DELAY_MS
 *
 * Traffic between two local addresses crosses OUTPUT once per direction, so
 * the round trip grows by 2 x DELAY_MS. Packets keep their order (one fixed
 * delay); a full queue lets packets through undelayed rather than dropping
 * them (fail-open), and so does --queue-bypass once this program is gone.
 * It speaks nfnetlink_queue directly (no libnetfilter_queue), copies no
 * payload (metadata only), and runs until SIGTERM/SIGINT. It prints "ready"
 * once bound, and on exit how many packets it delayed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 65536

static volatile sig_atomic_t stop;
static int fd;
static uint16_t queue;
static uint32_t seq;

static void on_signal(int sig) {
	(void)sig;
	stop = 1;
}

static int64_t now_us(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A message of the queue subsystem: header, nfgenmsg, then attributes appended with add_attr. */
static void msg_start(char *buf, int type, int flags) {
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	memset(buf, 0, NLMSG_SPACE(sizeof(struct nfgenmsg)));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++seq;
	struct nfgenmsg *nfg = NLMSG_DATA(nlh);
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
}

static void add_attr(char *buf, int type, const void *data, int len) {
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *attr = (struct nlattr *)(buf + NLMSG_ALIGN(nlh->nlmsg_len));
	attr->nla_type = type;
	attr->nla_len = NLA_HDRLEN + len;
	memcpy((char *)attr + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(attr->nla_len);
}

static int send_msg(char *buf) {
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	return sendto(fd, buf, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -1 : 0;
}

/* Sends a config message and waits for its ack; 0 or a negative errno. */
static int configure(char *buf) {
	if(send_msg(buf) < 0)
		return -errno;
	char reply[8192];
	for(;;) {
		ssize_t n = recv(fd, reply, sizeof(reply), 0);
		if(n < 0)
			return -errno;
		for(struct nlmsghdr *nlh = (struct nlmsghdr *)reply; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			if(nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == seq)
				return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		}
	}
}

static void verdict(uint32_t id_be) {
	char buf[256];
	msg_start(buf, NFQNL_MSG_VERDICT, 0);
	struct nfqnl_msg_verdict_hdr v = { .verdict = htonl(NF_ACCEPT), .id = id_be };
	add_attr(buf, NFQA_VERDICT_HDR, &v, sizeof(v));
	send_msg(buf);
}

int main(int argc, char **argv) {
	if(argc != 3) {
		fprintf(stderr, "usage: %s QUEUE_NUM DELAY_MS\n", argv[0]);
		return 2;
	}
	queue = (uint16_t)atoi(argv[1]);
	int64_t delay = (int64_t)atoi(argv[2]) * 1000;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	if(fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		perror("nfq-delay: netlink socket");
		return 1;
	}
	int size = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	char buf[256];
	msg_start(buf, NFQNL_MSG_CONFIG, NLM_F_ACK);
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET) };
	add_attr(buf, NFQA_CFG_CMD, &cmd, sizeof(cmd));
	int rc = configure(buf);
	if(rc == 0) {
		msg_start(buf, NFQNL_MSG_CONFIG, NLM_F_ACK);
		struct nfqnl_msg_config_params params = { .copy_range = htonl(0), .copy_mode = NFQNL_COPY_META };
		add_attr(buf, NFQA_CFG_PARAMS, &params, sizeof(params));
		uint32_t maxlen = htonl(MAX_HELD), flags = htonl(NFQA_CFG_F_FAIL_OPEN);
		add_attr(buf, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof(maxlen));
		add_attr(buf, NFQA_CFG_MASK, &flags, sizeof(flags));
		add_attr(buf, NFQA_CFG_FLAGS, &flags, sizeof(flags));
		rc = configure(buf);
	}
	if(rc != 0) {
		fprintf(stderr, "nfq-delay: binding queue %u: %s\n", queue, strerror(-rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);

	/* One fixed delay: packets are due in the order they came, a ring buffer does. */
	static uint32_t ids[MAX_HELD];
	static int64_t due[MAX_HELD];
	unsigned head = 0, count = 0;
	unsigned long delayed = 0;
	static char packet[65536];
	while(!stop) {
		int64_t now = now_us();
		while(count > 0 && due[head] <= now) {
			verdict(ids[head]);
			head = (head + 1) % MAX_HELD;
			count--;
		}
		int timeout = count > 0 ? (int)((due[head] - now + 999) / 1000) : 100;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if(poll(&p, 1, timeout) <= 0)
			continue;
		for(;;) {
			ssize_t n = recv(fd, packet, sizeof(packet), MSG_DONTWAIT);
			if(n <= 0)
				break;
			int64_t at = now_us() + delay;
			for(struct nlmsghdr *nlh = (struct nlmsghdr *)packet; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
				if(nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
					continue;
				int len = nlh->nlmsg_len - NLMSG_SPACE(sizeof(struct nfgenmsg));
				struct nlattr *attr = (struct nlattr *)((char *)NLMSG_DATA(nlh) + NLMSG_ALIGN(sizeof(struct nfgenmsg)));
				for(; len >= NLA_HDRLEN && attr->nla_len >= NLA_HDRLEN && attr->nla_len <= len;
						len -= NLA_ALIGN(attr->nla_len), attr = (struct nlattr *)((char *)attr + NLA_ALIGN(attr->nla_len))) {
					if((attr->nla_type & NLA_TYPE_MASK) != NFQA_PACKET_HDR)
						continue;
					uint32_t id = ((struct nfqnl_msg_packet_hdr *)((char *)attr + NLA_HDRLEN))->packet_id;
					if(count == MAX_HELD) {
						verdict(id);    /* no room: through at once */
						break;
					}
					unsigned tail = (head + count) % MAX_HELD;
					ids[tail] = id;
					due[tail] = at;
					count++;
					delayed++;
					break;
				}
			}
		}
	}
	/* Whatever is held goes through now. */
	while(count > 0) {
		verdict(ids[head]);
		head = (head + 1) % MAX_HELD;
		count--;
	}
	printf("delayed %lu packets\n", delayed);
	return 0;
}
