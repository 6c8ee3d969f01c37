/*
Copyright 2026 The Portico Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package rawheader

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// spellServer answers each request with its header names as From spells them, sorted, and
// the body it read.
func spellServer(t *testing.T, h2c bool) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(h2c)
	srv := &http.Server{Protocols: &protocols, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		names := From(r)
		var out []string
		for k := range r.Header {
			out = append(out, names.Spell(k))
		}
		slices.Sort(out)
		out = append(out, "host="+names.Spell("Host"), "body="+string(body))
		_, _ = io.WriteString(w, strings.Join(out, ","))
	})}
	Install(srv)
	go func() { _ = srv.Serve(Listener(lis, nil)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return lis.Addr().String()
}

// TestPipelinedRequestsOverARealConnection: requests written in one go, with bodies that
// look like requests, get each their own spelling; the server reads them with net/http.
func TestPipelinedRequestsOverARealConnection(t *testing.T) {
	addr := spellServer(t, false)
	evil := "GET / HTTP/1.1\r\nhost: x\r\nHEADERAUTH1: evil\r\n\r\n"
	stream := "POST /one HTTP/1.1\r\nHost: x\r\nHeaderAuth1: a\r\nContent-Length: " + fmt.Sprint(len(evil)) + "\r\n\r\n" + evil +
		"POST /two HTTP/1.1\r\nhost: x\r\nheaderauth1: b\r\nTransfer-Encoding: chunked\r\n\r\n" +
		fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(evil), evil) +
		"GET /three HTTP/1.1\r\nHOST: x\r\nX-Amz-Date: c\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("p", 200)+"\r\n", 200) + "\r\n"
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, stream); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	want := []string{
		"Content-Length,HeaderAuth1,host=Host,body=" + evil,
		"headerauth1,host=host,body=" + evil,
		"X-Amz-Date,X-Pad,host=HOST,body=",
	}
	for i, w := range want {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if string(b) != w {
			t.Errorf("request %d: %q, want %q", i+1, b, w)
		}
	}
}

// TestHugeHeaderBlock: names over the limit give no hints, and the next request on the
// connection gets its own.
func TestHugeHeaderBlock(t *testing.T) {
	addr := spellServer(t, false)
	var b strings.Builder
	b.WriteString("GET /big HTTP/1.1\r\nHost: x\r\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "x-name-%d: v\r\n", i)
	}
	b.WriteString("\r\nGET /next HTTP/1.1\r\nhost: x\r\nmY-hEaDeR: 1\r\n\r\n")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if !strings.Contains(string(body), "X-Name-1999,") || strings.Contains(string(body), "x-name-") {
		t.Errorf("huge block: %.200q", body)
	}
	res, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(body) != "mY-hEaDeR,host=host,body=" {
		t.Errorf("next request: %q", body)
	}
}

// TestHTTP2IsLowerCase: HTTP/2 names are lower case, as on the wire; an HTTP/2 connection
// with prior knowledge through the listener is served as usual.
func TestHTTP2IsLowerCase(t *testing.T) {
	addr := spellServer(t, true)
	client := &http.Client{Transport: h2cTransport()}
	req, _ := http.NewRequest("GET", "http://"+addr+"/h2", nil)
	req.Header["HeaderAuth1"] = []string{"v"}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.ProtoMajor != 2 || !strings.HasPrefix(string(b), "accept-encoding,headerauth1,") || !strings.Contains(string(b), "host=host") {
		t.Errorf("%s %q", res.Proto, b)
	}
}

func h2cTransport() http.RoundTripper {
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	return &http.Transport{Protocols: &protocols}
}

// Without a connection (a request served in process), names are canonical.
func TestNoConnection(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	if got := From(r).Spell("Headerauth1"); got != "Headerauth1" {
		t.Errorf("got %q", got)
	}
}
