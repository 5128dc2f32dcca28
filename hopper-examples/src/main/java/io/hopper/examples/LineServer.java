package io.hopper.examples;

import io.hopper.ChannelClosedException;
import io.hopper.Sender;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Accepts newline-delimited events over TCP on the loopback interface and sends each line into a
 * hopper channel: one thread per connection, each a producer. {@link Sender#send} blocks only when
 * memory and disk are both full, which pushes back on the client through TCP flow control instead
 * of dropping events.
 */
final class LineServer implements Closeable {
    private final ServerSocket socket;
    private final Sender<String> sender;
    private final Thread acceptor;
    private final List<Thread> connections = new CopyOnWriteArrayList<>();
    private final AtomicLong received = new AtomicLong();

    LineServer(Sender<String> sender) throws IOException {
        this.sender = sender;
        this.socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.acceptor = new Thread(this::acceptLoop, "ingest-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The port clients connect to on the loopback address. */
    int port() {
        return socket.getLocalPort();
    }

    /** Events read from the network and accepted by the channel so far. */
    long received() {
        return received.get();
    }

    private void acceptLoop() {
        while (!socket.isClosed()) {
            try {
                Socket s = socket.accept();
                Thread t = new Thread(() -> readLines(s), "ingest-conn-" + s.getPort());
                t.setDaemon(true);
                connections.add(t);
                t.start();
            } catch (SocketException closed) {
                return; // close() closed the server socket
            } catch (IOException e) {
                System.err.println("accept failed: " + e);
            }
        }
    }

    private void readLines(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                sender.send(line);
                received.incrementAndGet();
            }
        } catch (IOException | ChannelClosedException e) {
            System.err.println("connection from port " + s.getPort() + " ended: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until every connection accepted so far has been read to its end. */
    void awaitConnectionsDrained() throws InterruptedException {
        for (Thread t : connections) {
            t.join();
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
