package app

import (
	"bufio"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestHTTPServerTimeouts: the server sets every read timeout, and a client
// that stalls in its headers is cut off.
func TestHTTPServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.WriteTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("a timeout or limit is unset: %+v", srv)
	}
	srv.ReadHeaderTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("POST /slack/events HTTP/1.1\r\nHost: x\r\n")) // and then nothing
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
		// The server may answer 408 before closing; either way it ends.
		return
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("a connection stalled in its headers was kept open")
	}
}
