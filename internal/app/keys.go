package app

import (
	"fmt"
	"log/slog"

	"github.com/omnify/bff/internal/config"
	"github.com/omnify/bff/internal/integrations"
)

// credentialSealer builds the sealer of platform credentials from
// OMNIFY_SECRET_KEY. In development without it, a key is generated once
// into the data directory (with a warning): fine on a laptop, never in
// production, where configuration already refused to start without it.
func credentialSealer(cfg config.Config, logger *slog.Logger) (*integrations.Sealer, error) {
	key := cfg.SecretKey
	if key == nil {
		if cfg.Production() {
			return nil, fmt.Errorf("OMNIFY_SECRET_KEY is required in production")
		}
		k, created, err := integrations.LoadOrCreateKeyFile(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("development credential key: %w", err)
		}
		if created {
			logger.Warn("OMNIFY_SECRET_KEY is not set: generated a development key in the data directory; set the variable in production",
				slog.String("data_dir", cfg.DataDir))
		}
		key = k
	}
	return integrations.NewSealer(integrations.KeyID(key), key, nil)
}
