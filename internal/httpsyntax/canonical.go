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

package httpsyntax

import "net/textproto"

// Canonicalize returns name, made of token bytes but not in canonical form, as net/http
// keys it (textproto's canonical form: upper case first and after each hyphen, lower case
// elsewhere). The names clients and backends send most come from a table, without an
// allocation: lower-case ones (HTTP/2 habits, some proxies and backends) and nginx's
// "ETag".
func Canonicalize(name string) string {
	if len(name) <= maxCommonKey {
		var buf [maxCommonKey]byte
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			switch {
			case upper && 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			case !upper && 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			buf[i] = c
			upper = c == '-'
		}
		if k, ok := commonKeys[string(buf[:len(name)])]; ok { // no allocation for the lookup
			return k
		}
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// maxCommonKey is the longest of commonKeys' names.
const maxCommonKey = 36

// commonKeys interns the canonical names requests and answers carry most.
var commonKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		// Requests.
		"Accept", "Accept-Encoding", "Accept-Language", "Access-Control-Request-Headers",
		"Access-Control-Request-Method", "Authorization", "Cache-Control", "Connection",
		"Content-Encoding", "Content-Length", "Content-Type", "Cookie", "Expect", "Forwarded",
		"Host", "If-Match", "If-Modified-Since", "If-None-Match", "If-Unmodified-Since",
		"Keep-Alive", "Origin", "Pragma", "Range", "Referer", "Sec-Websocket-Extensions",
		"Sec-Websocket-Key", "Sec-Websocket-Protocol", "Sec-Websocket-Version", "Te",
		"Traceparent", "Tracestate", "Trailer", "Transfer-Encoding", "Upgrade", "User-Agent",
		"Via", "X-Amz-Date", "X-Amz-Security-Token", "X-Api-Key", "X-Forwarded-For",
		"X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Real-Ip",
		"X-Request-Id",
		// Answers.
		"Accept-Ranges", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
		"Access-Control-Max-Age", "Age", "Allow", "Alt-Svc", "Content-Disposition",
		"Content-Language", "Content-Location", "Content-Range", "Content-Security-Policy", "Date",
		"Etag", "Expires", "Last-Modified", "Link", "Location", "Proxy-Authenticate",
		"Referrer-Policy", "Retry-After", "Server", "Set-Cookie", "Strict-Transport-Security",
		"Vary", "Www-Authenticate", "X-Content-Type-Options", "X-Frame-Options", "X-Powered-By",
		"X-Xss-Protection",
	} {
		if len(k) > maxCommonKey {
			panic("httpsyntax: common header name longer than maxCommonKey: " + k)
		}
		m[k] = k
	}
	return m
}()
