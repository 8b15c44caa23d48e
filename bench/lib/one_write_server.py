"""An HTTP/1.0 server on 127.0.0.1:PORT answering every request with FILE's content, headers
and body in one write: the tunnel case's second server (see README.md, "tunnel")."""
import socket
import sys
import threading

port, path = int(sys.argv[1]), sys.argv[2]
with open(path, "rb") as f:
    body = f.read()
answer = (
    b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    + body
)
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(128)


def serve(client):
    with client:
        client.recv(65536)
        client.sendall(answer)


while True:
    client, _ = server.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
