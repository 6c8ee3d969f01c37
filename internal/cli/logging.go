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

package cli

import (
	"fmt"
	"io"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// logOptions are the logging flags every long-running role takes.
type logOptions struct {
	level, format string
	// out receives the log lines; standard error when nil (tests capture them).
	out io.Writer
}

func (o *logOptions) bind(f *pflag.FlagSet) {
	f.StringVar(&o.level, "log-level", "info", "log level: debug, info or error")
	f.StringVar(&o.format, "log-format", "json", "log format: json (one structured line per event) or text")
}

// logger builds the process logger: structured JSON by default.
func (o *logOptions) logger() (logr.Logger, error) {
	var lvl zapcore.Level
	switch o.level {
	case "debug":
		lvl = zapcore.DebugLevel
	case "info":
		lvl = zapcore.InfoLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		return logr.Discard(), fmt.Errorf("unknown --log-level %q: use debug, info or error", o.level)
	}
	switch o.format {
	case "json", "text":
	default:
		return logr.Discard(), fmt.Errorf("unknown --log-format %q: use json or text", o.format)
	}
	// A stack trace tells a user nothing about a refused file or a failed backend; it stays
	// for panics, and for errors at debug level, where a developer reads the log.
	stacks := zapcore.PanicLevel
	if lvl == zapcore.DebugLevel {
		stacks = zapcore.ErrorLevel
	}
	opts := []zap.Opts{zap.Level(lvl), zap.StacktraceLevel(stacks)}
	if o.out != nil {
		opts = append(opts, zap.WriteTo(o.out))
	}
	if o.format == "text" {
		opts = append(opts, zap.ConsoleEncoder(func(c *zapcore.EncoderConfig) { c.EncodeTime = zapcore.ISO8601TimeEncoder }))
	} else {
		opts = append(opts, zap.JSONEncoder(func(c *zapcore.EncoderConfig) {
			c.TimeKey, c.EncodeTime = "ts", zapcore.ISO8601TimeEncoder
		}))
	}
	return zap.New(opts...), nil
}
