/* sdnotify MESSAGE: send MESSAGE as one datagram to $NOTIFY_SOCKET -- the
 * sd_notify(3) protocol without libsystemd -- for test images that hold
 * only busybox, which has no such client (and whose logger cannot stand
 * in: runc forwards a datagram only when it starts with "READY=").
 * Built static by the test that needs it.  NOTIFY_SOCKET is a path, or
 * "@name" for the abstract namespace.  Exit 0 sent, 1 failed, 2 usage. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n;
	int fd;

	if (argc != 2 || !path || !*path) {
		fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sdnotify MESSAGE\n");
		return 2;
	}
	n = strlen(path);
	if (n >= sizeof sa.sun_path) {
		fprintf(stderr, "sdnotify: NOTIFY_SOCKET too long\n");
		return 2;
	}
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
		perror("sdnotify");
		return 1;
	}
	close(fd);
	return 0;
}
