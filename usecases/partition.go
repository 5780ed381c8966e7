package usecases

// Each flow can be re-targeted at another cache partition without re-validating its
// configuration: the copy shares every port with the original.

func (e *engine) inPartition(name string) *engine {
	c := *e
	c.cfg.Partition = name
	return &c
}

// InPartition returns the flow bound to the named cache partition.
func (s *Silent) InPartition(name string) *Silent {
	return &Silent{e: s.e.inPartition(name), flight: s.flight, refused: s.refused, deferred: s.deferred}
}

// InPartition returns the flow bound to the named cache partition. Flows completed in
// one partition cannot be replayed in another: the replay guard is shared.
func (a *AuthCode) InPartition(name string) *AuthCode {
	return &AuthCode{e: a.e.inPartition(name), replay: a.replay}
}

// InPartition returns the flow bound to the named cache partition.
func (u *UsernamePassword) InPartition(name string) *UsernamePassword {
	return &UsernamePassword{e: u.e.inPartition(name)}
}

// InPartition returns the flow bound to the named cache partition.
func (r *RefreshTokenRedeemer) InPartition(name string) *RefreshTokenRedeemer {
	return &RefreshTokenRedeemer{e: r.e.inPartition(name)}
}

// InPartition returns the flow bound to the named cache partition.
func (l *LegacyCode) InPartition(name string) *LegacyCode {
	return &LegacyCode{e: l.e.inPartition(name)}
}

// InPartition returns the flow bound to the named cache partition.
func (c *ClientCredentials) InPartition(name string) *ClientCredentials {
	return &ClientCredentials{e: c.e.inPartition(name), flight: c.flight}
}

// InPartition returns the use case bound to the named cache partition.
func (a *Accounts) InPartition(name string) *Accounts { return &Accounts{e: a.e.inPartition(name)} }
