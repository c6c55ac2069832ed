package app

import (
	"runtime/debug"
	"strings"

	"accountbot/metrics"
)

// Release is the version of this source tree. A module version stamped by
// the toolchain (a tag) wins over it; a release build may also set it with
// -ldflags "-X accountbot/app.Release=1.2.3".
var Release = "0.3.0"

// buildInfo reads the version the Go toolchain stamped into the binary:
// the module version (a tag, or a pseudo-version from the commit when
// built in a clone), the VCS revision and whether the tree was modified.
func buildInfo() metrics.Build {
	b := metrics.Build{Version: Release, Revision: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = bi.GoVersion
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		b.Version = v
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && !strings.Contains(b.Version, "dirty") {
		b.Revision += "-dirty"
	}
	return b
}

// versionLine is what "accountbot version" prints.
func versionLine() string {
	b := buildInfo()
	rev, dirty := strings.CutSuffix(b.Revision, "-dirty")
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "accountbot " + b.Version + " (" + rev + ", " + b.GoVersion + ")\n"
}
