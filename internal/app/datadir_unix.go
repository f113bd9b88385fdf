//go:build unix

package app

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// dataDirLockFile is the file in OMNIFY_DATA_DIR whose lock tells whether
// an `omnify serve` uses the embedded database there.
const dataDirLockFile = "serve.lock"

// lockDataDir locks the data directory's embedded database: shared for a
// server (any number of them may run), exclusive for `omnify demo`, which
// must not change the database under a running server's caches. Neither
// waits: a lock held the other way is an error that says what to do. The
// returned function releases it.
func lockDataDir(dir string, exclusive bool) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory (OMNIFY_DATA_DIR): %w", err)
	}
	path := filepath.Join(dir, dataDirLockFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory (OMNIFY_DATA_DIR): %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if exclusive {
			return nil, fmt.Errorf("the embedded database in %s is in use by a running `omnify serve`; stop it first, "+
				"or run this command against the database of a MongoDB server (MONGODB_URI)", dir)
		}
		return nil, fmt.Errorf("the embedded database in %s is locked by `omnify demo`; start again when it has finished", dir)
	}
	return func() { _ = f.Close() }, nil
}
