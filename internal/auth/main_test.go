package auth

import (
	"testing"

	"github.com/omnify/bff/internal/mongodb/mongotest"
)

var dbs *mongotest.Server

func TestMain(m *testing.M) { mongotest.Main(m, &dbs) }
