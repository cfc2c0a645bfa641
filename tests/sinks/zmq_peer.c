/* zmq_peer.c — a ZeroMQ peer in a process of its own, for the tests of the ZeroMQ source and
 * sink.
 *
 *   zmq_peer push ENDPOINT MESSAGE...   connects a PUSH socket and sends each message
 *   zmq_peer pub ENDPOINT TOPIC MESSAGE... connects a PUB socket, waits for a subscriber and
 *                                        sends [TOPIC, MESSAGE] frames
 *   zmq_peer pull ENDPOINT N             connects a PULL socket and prints N messages, one a line
 * Exits 0 when done, 1 on any error (with the reason on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static int
fail(const char *what)
{
    fprintf(stderr, "zmq_peer: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return 1;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: zmq_peer push|pub|pull ENDPOINT ...\n");
        return 2;
    }
    const char *mode = argv[1];
    int type = strcmp(mode, "push") == 0   ? ZMQ_PUSH
               : strcmp(mode, "pub") == 0  ? ZMQ_XPUB
               : strcmp(mode, "pull") == 0 ? ZMQ_PULL
                                           : -1;
    if (type < 0) {
        fprintf(stderr, "zmq_peer: unknown mode %s\n", mode);
        return 2;
    }
    void *context = zmq_ctx_new();
    void *socket = zmq_socket(context, type);
    int linger = 5000, timeout = 20000;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(socket, argv[2]) != 0)
        return fail("connect");
    int status = 0;
    if (type == ZMQ_PUSH) {
        for (int index = 3; index < argc && status == 0; index++)
            if (zmq_send(socket, argv[index], strlen(argv[index]), 0) < 0)
                status = fail("send");
    } else if (type == ZMQ_XPUB) {
        /* an XPUB sees the subscription: send only once the subscriber listens */
        char subscription[256];
        if (zmq_recv(socket, subscription, sizeof subscription, 0) < 0)
            return fail("waiting for a subscriber");
        for (int index = 4; index < argc && status == 0; index++)
            if (zmq_send(socket, argv[3], strlen(argv[3]), ZMQ_SNDMORE) < 0 ||
                zmq_send(socket, argv[index], strlen(argv[index]), 0) < 0)
                status = fail("send");
    } else {
        int wanted = atoi(argv[3]);
        char buffer[4096];
        for (int count = 0; count < wanted && status == 0; count++) {
            int len = zmq_recv(socket, buffer, sizeof buffer - 1, 0);
            if (len < 0) {
                status = fail("receive");
                break;
            }
            buffer[len < (int)sizeof buffer - 1 ? len : (int)sizeof buffer - 1] = '\0';
            printf("%s\n", buffer);
        }
        fflush(stdout);
    }
    zmq_close(socket);
    zmq_ctx_term(context);
    return status;
}
