/* socket_peer.c — a TCP peer in its own process for the socket receiver test.
 *
 * Listens on 127.0.0.1 (the kernel picks the port, printed on stdout), serves the first
 * connection "a b\nc\r\n" and closes it, then serves the second connection "d\n" and closes,
 * then exits. It exits by itself after 30 s whatever happens.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void
serve(int listener, const char *text)
{
    int client = accept(listener, NULL, NULL);
    if (client < 0)
        return;
    ssize_t written = write(client, text, strlen(text));
    (void)written;
    close(client);
}

int
main(void)
{
    alarm(30);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(listener, 4) != 0)
        return 1;
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    printf("%u\n", ntohs(address.sin_port));
    fflush(stdout);
    serve(listener, "a b\nc\r\n");
    serve(listener, "d\n");
    close(listener);
    return 0;
}
