//go:build !unix

package collect

import (
	"os"
	"path/filepath"
)

// lockDir opens the lock file; this platform gets no lock.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o644)
}
