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

package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/portico-dev/portico/dataplane/config"
	"github.com/portico-dev/portico/dataplane/execlog"
)

// redacted replaces every secret /config would otherwise show.
const redacted = "REDACTED"

// configView is what /config returns.
type configView struct {
	// Applied is false before the first configuration.
	Applied bool `json:"applied"`
	// Stages and Endpoints are by resource name.
	Stages    map[string]resourceView `json:"stages"`
	Endpoints map[string]resourceView `json:"endpoints"`
	// Domains and Secrets are by resource name; secrets' private keys are redacted.
	Domains map[string]resourceView `json:"domains,omitempty"`
	Secrets map[string]resourceView `json:"secrets,omitempty"`
	// LastNACK is the last rejected update, null when none was.
	LastNACK *nackView `json:"lastNack"`
}

type resourceView struct {
	Version  string          `json:"version"`
	Resource json.RawMessage `json:"resource"`
}

type nackView struct {
	Error string `json:"error"`
}

func (s *Server) config(w http.ResponseWriter, _ *http.Request) {
	var cfg *config.Config
	if s.opts.Config != nil {
		cfg = s.opts.Config()
	}
	view := configView{Applied: cfg != nil, Stages: map[string]resourceView{}, Endpoints: map[string]resourceView{}}
	if s.opts.LastNACK != nil {
		if err := s.opts.LastNACK(); err != nil {
			view.LastNACK = &nackView{Error: err.Error()}
		}
	}
	if cfg != nil {
		if err := addResources(view.Stages, cfg.Stages, cfg.Versions); err != nil {
			s.internalError(w, err)
			return
		}
		if err := addResources(view.Endpoints, cfg.Endpoints, cfg.Versions); err != nil {
			s.internalError(w, err)
			return
		}
		view.Domains, view.Secrets = map[string]resourceView{}, map[string]resourceView{}
		if err := errors.Join(addResources(view.Domains, cfg.Domains, cfg.Versions), addResources(view.Secrets, cfg.Secrets, cfg.Versions)); err != nil {
			s.internalError(w, err)
			return
		}
	}
	b, err := json.MarshalIndent(view, "", "  ")
	if err != nil {
		s.internalError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) internalError(w http.ResponseWriter, err error) {
	s.log.Error(err, "rendering /config")
	writeText(w, http.StatusInternalServerError, "cannot render the configuration")
}

// addResources renders each resource, redacted, with its version.
func addResources[M proto.Message](out map[string]resourceView, resources map[string]M, versions map[string]map[string]string) error {
	for name, m := range resources {
		clean := proto.Clone(m)
		redact(clean.ProtoReflect())
		b, err := protojson.Marshal(clean)
		if err != nil {
			return err
		}
		typeURL := "type.googleapis.com/" + string(clean.ProtoReflect().Descriptor().FullName())
		out[name] = resourceView{Version: versions[typeURL][name], Resource: b}
	}
	return nil
}

// secretFields are the string fields whose value is a secret, wherever they appear. A key's
// SHA-256 is one: an unsalted hash of a key is as good as the key to anyone who can feed
// it to a proxy's store or brute-force a short key offline.
var secretFields = map[protoreflect.Name]bool{
	"sha256":        true,
	"secret":        true,
	"password":      true,
	"token":         true,
	"client_secret": true,
	// A TlsSecret's key (bytes).
	"private_key": true,
}

// redact replaces the secrets of m in place: secret fields, and credentials written into URIs
// (https://user:password@host/). It walks the message by reflection, so fields added to the
// snapshot later are covered by their names.
func redact(m protoreflect.Message) {
	var fields []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		fields = append(fields, fd)
		return true
	})
	for _, fd := range fields {
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				mp := m.Mutable(fd).Map()
				mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
					redact(mp.Mutable(k).Message())
					return true
				})
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			if fd.Message() != nil {
				for i := range l.Len() {
					redact(l.Get(i).Message())
				}
			} else if fd.Kind() == protoreflect.StringKind && secretFields[fd.Name()] {
				for i := range l.Len() {
					l.Set(i, protoreflect.ValueOfString(redacted))
				}
			}
		case fd.Message() != nil:
			redact(m.Mutable(fd).Message())
		case fd.Kind() == protoreflect.BytesKind && secretFields[fd.Name()]:
			m.Set(fd, protoreflect.ValueOfBytes([]byte(redacted)))
		case fd.Kind() == protoreflect.StringKind:
			v := m.Get(fd).String()
			if secretFields[fd.Name()] {
				m.Set(fd, protoreflect.ValueOfString(redacted))
			} else if strings.HasSuffix(string(fd.Name()), "uri") {
				m.Set(fd, protoreflect.ValueOfString(redactQuery(redactUserinfo(v))))
			}
		}
	}
}

// redactQuery replaces the values of a URI's credential parameters (?apikey=..., as the
// execution logs redact them).
func redactQuery(uri string) string {
	before, query, ok := strings.Cut(uri, "?")
	if !ok {
		return uri
	}
	query, fragment, hasFragment := strings.Cut(query, "#")
	out := before + "?" + execlog.Common.QueryMasked(query, redacted)
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

// redactUserinfo replaces the user information of a URI, which may hold a password or a
// token. It does not parse the URI: integration URIs are templates (${stageVariables.x})
// that net/url may refuse.
func redactUserinfo(uri string) string {
	i := strings.Index(uri, "://")
	if i < 0 {
		return uri
	}
	rest := uri[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndexByte(rest[:end], '@')
	if at < 0 {
		return uri
	}
	return uri[:i+3] + redacted + rest[at:]
}
