// `accelgen serve`: the Verilated host-linked system, its byte streams bridged to one
// TCP client on 127.0.0.1. Bytes move at one per clock each way (the UART's bit timing
// is bypassed; the UART has its own bench), in bursts of cycles between socket calls,
// so the simulation, not the Python driver, sets the pace.
//
// Usage: serve PORT BUSY_FRAME_HEX
//   PORT 0 picks a free port; the line "listening 127.0.0.1:<port>" says which.
//   BUSY_FRAME_HEX is the frame a second client gets before it is disconnected.

#include "Vlink_system.h"
#include "verilated.h"

// Verilator spells the "__" of Amaranth's port names "___05F"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

static volatile sig_atomic_t stopping = 0;
static void stop(int) { stopping = 1; }

static const int BURST = 2048;                 // cycles between socket calls
static const long IDLE_CYCLES = 1L << 22;      // then wait for the socket, not spin
static const size_t TX_LIMIT = 1 << 20;        // bytes held for a slow client

static void nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT BUSY_FRAME_HEX\n", argv[0]);
        return 2;
    }
    std::vector<unsigned char> busy;
    for (const char *hex = argv[2]; hex[0] && hex[1]; hex += 2) {
        char pair[3] = {hex[0], hex[1], 0};
        busy.push_back((unsigned char)strtoul(pair, nullptr, 16));
    }
    signal(SIGINT, stop);
    signal(SIGTERM, stop);
    signal(SIGPIPE, SIG_IGN);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons((unsigned short)atoi(argv[1]));
    if (bind(listener, (sockaddr *)&address, sizeof address) != 0 || listen(listener, 4) != 0) {
        fprintf(stderr, "error: cannot listen on 127.0.0.1:%s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    socklen_t length = sizeof address;
    getsockname(listener, (sockaddr *)&address, &length);
    nonblocking(listener);
    printf("listening 127.0.0.1:%d\n", ntohs(address.sin_port));
    fflush(stdout);

    VerilatedContext context;
    Vlink_system top(&context);
    top.clk = 0;
    top.rst = 1;
    for (int i = 0; i < 4; i++) {
        top.clk = !top.clk;
        top.eval();
    }
    top.rst = 0;

    int client = -1;
    std::deque<unsigned char> received;
    std::vector<unsigned char> to_send;
    long idle = 0;
    unsigned char buffer[65536];
    while (!stopping) {
        int incoming = accept(listener, nullptr, nullptr);
        if (incoming >= 0) {
            if (client < 0) {
                client = incoming;
                nonblocking(client);
                setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
                idle = 0;
            } else {
                // one host at a time, like a serial port: say so, then hang up
                if (write(incoming, busy.data(), busy.size()) < 0) {}
                close(incoming);
            }
        }
        if (client >= 0) {
            ssize_t got = read(client, buffer, sizeof buffer);
            if (got > 0) {
                received.insert(received.end(), buffer, buffer + got);
            } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                close(client);              // the host went away: what it sent is lost,
                client = -1;                // as on a serial line; the device runs on
                received.clear();
                to_send.clear();
            }
        }

        bool moved = false;
        for (int cycle = 0; cycle < BURST; cycle++) {
            top.rx___05Fvalid = !received.empty();
            top.rx___05Fpayload = received.empty() ? 0 : received.front();
            top.tx___05Fready = to_send.size() < TX_LIMIT;
            top.clk = 0;
            top.eval();
            bool took = top.rx___05Fvalid && top.rx___05Fready;
            bool gave = top.tx___05Fvalid && top.tx___05Fready;
            unsigned char byte = top.tx___05Fpayload;
            top.clk = 1;
            top.eval();
            if (took) received.pop_front();
            if (gave && client >= 0) to_send.push_back(byte);
            moved |= took || gave;
        }

        if (client >= 0 && !to_send.empty()) {
            ssize_t put = write(client, to_send.data(), to_send.size());
            if (put > 0) to_send.erase(to_send.begin(), to_send.begin() + put);
        }
        idle = moved || !received.empty() ? 0 : idle + BURST;
        if (idle >= IDLE_CYCLES) {
            // nothing has moved for a while: sleep until the host or a new one speaks
            pollfd watched[2] = {{listener, POLLIN, 0}, {client, POLLIN, 0}};
            poll(watched, client >= 0 ? 2 : 1, 20);
        }
    }
    top.final();
    return 0;
}
