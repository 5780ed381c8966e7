package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hexauth/hexauth/adapters/httpidp/idptest"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Defaults of fake-idp when neither the flags nor the config file name users or
// clients: one user and one public client, documented in docs/cli.md.
const (
	fakeDefaultUser     = "ada@example.com"
	fakeDefaultPassword = "ada-password"
	fakeDefaultClient   = "hexauth-cli"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
func (l *listFlag) Type() string       { return "string" }

// fakeIdPFlags are fake-idp's flags; they add to, or override, the config file.
type fakeIdPFlags struct {
	config, addr, scopes, tokenLifetime, refreshIn, autoApprove string
	rotate, clientInfo, issuerInResponse                        bool
	users, clients, faults                                      listFlag
}

func (f *fakeIdPFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "JSON config file of the fake provider (see docs/cli.md)")
	fs.StringVar(&f.addr, "addr", "", "listen address on a loopback host (default 127.0.0.1 on a random port)")
	fs.Var(&f.users, "user", "a test user, NAME:PASSWORD (repeatable; fixtures, not real credentials)")
	fs.Var(&f.clients, "client", "a registered client, ID or ID:SECRET for a confidential one (repeatable)")
	fs.StringVar(&f.scopes, "scopes", "", "known resource scopes, separated by spaces or commas (default: any)")
	fs.StringVar(&f.tokenLifetime, "token-lifetime", "", "lifetime of access and ID tokens (default 1h)")
	fs.StringVar(&f.refreshIn, "refresh-in", "", "send Entra's refresh_in with this value (default: none)")
	fs.StringVar(&f.autoApprove, "auto-approve", "", "sign this user in at once, without the login form")
	fs.BoolVar(&f.rotate, "rotate-refresh-tokens", false, "issue a new refresh token on every refresh and revoke the old one")
	fs.BoolVar(&f.clientInfo, "client-info", false, "send Entra's client_info (home account id uid.utid)")
	fs.BoolVar(&f.issuerInResponse, "issuer-in-response", false, "send iss in authorization responses (RFC 9207)")
	fs.Var(&f.faults, "fault", `a scripted fault as JSON, e.g. '{"grant":"refresh_token","status":503,"times":2}' (repeatable)`)
}

// merge applies the flags that were set (given by fs.Visit) on top of the file.
func (f *fakeIdPFlags) merge(file fakeIdPFile, set map[string]bool) (fakeIdPFile, error) {
	if set["addr"] {
		file.Addr = f.addr
	}
	if set["scopes"] {
		file.Scopes = splitScopes(f.scopes)
	}
	if set["token-lifetime"] {
		file.TokenLifetime = f.tokenLifetime
	}
	if set["refresh-in"] {
		file.RefreshIn = f.refreshIn
	}
	if set["auto-approve"] {
		file.AutoApproveUser = f.autoApprove
	}
	file.RotateRefreshTokens = file.RotateRefreshTokens || f.rotate
	file.ClientInfo = file.ClientInfo || f.clientInfo
	file.IssuerInResponse = file.IssuerInResponse || f.issuerInResponse
	for _, u := range f.users {
		name, pw, ok := strings.Cut(u, ":")
		if !ok || name == "" || pw == "" {
			return file, usageErrorf("--user wants NAME:PASSWORD")
		}
		file.Users = append(file.Users, fakeUserJSON{Username: name, Password: pw})
	}
	for _, c := range f.clients {
		id, secret, _ := strings.Cut(c, ":")
		file.Clients = append(file.Clients, fakeClientJSON{ID: id, Secret: secret})
	}
	for _, raw := range f.faults {
		var fj faultJSON
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fj); err != nil {
			return file, usageErrorf("--fault %s: %v", raw, err)
		}
		file.Faults = append(file.Faults, fj)
	}
	if len(file.Users) == 0 && len(file.Clients) == 0 {
		file.Users = []fakeUserJSON{{Username: fakeDefaultUser, Password: fakeDefaultPassword, Name: "Ada Lovelace"}}
		file.Clients = []fakeClientJSON{{ID: fakeDefaultClient}}
	}
	return file, nil
}

// runFakeIdP serves the fake provider until ctx ends (SIGINT or SIGTERM), printing its
// issuer URL on stdout once the notice describing it is on stderr.
func newFakeIdPCmd(ctx context.Context, e *env) *cobra.Command {
	c, fs := newLeaf("fake-idp [--addr 127.0.0.1:8400] [--user NAME:PASSWORD] [--client ID] [flags]",
		"serve the fake OpenID provider on loopback until interrupted",
		"  hexauth fake-idp --addr 127.0.0.1:8400\n  hexauth fake-idp --user bob@example.com:pw --client web:s --rotate-refresh-tokens")
	f := &fakeIdPFlags{}
	f.register(fs)
	c.RunE = runE(func(args []string) int {
		if code, ok := takeOperand(e, args, nil); !ok {
			return code
		}
		return runFakeIdP(ctx, e, fs, f)
	})
	return c
}

// runFakeIdP serves the fake provider with the parsed flags f of fs.
func runFakeIdP(ctx context.Context, e *env, fs *pflag.FlagSet, f *fakeIdPFlags) int {
	p := newPrinter(e, settings{})
	set := map[string]bool{}
	fs.Visit(func(fl *pflag.Flag) { set[fl.Name] = true })
	var file fakeIdPFile
	if f.config != "" {
		var err error
		if file, err = readFakeIdPFile(f.config); err != nil {
			return p.fail(err)
		}
	}
	file, err := f.merge(file, set)
	if err != nil {
		return p.fail(err)
	}
	cfg, faults, err := file.serverConfig()
	if err != nil {
		return p.fail(err)
	}
	srv, err := idptest.NewServer(cfg)
	if err != nil {
		return p.fail(err)
	}
	srv.Script(faults...)
	// The notice first: whoever reads the issuer line may look at stderr at once.
	describeFakeIdP(e, srv, file, len(faults))
	fmt.Fprintln(e.stdout, srv.Issuer())
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(e.stderr, "hexauth fake-idp: stopped")
	return exitOK
}

// describeFakeIdP tells, on stderr, what the fake provider serves (never a password).
func describeFakeIdP(e *env, srv *idptest.Server, file fakeIdPFile, faults int) {
	users := make([]string, len(file.Users))
	for i, u := range file.Users {
		users[i] = u.Username
	}
	clients := make([]string, len(file.Clients))
	for i, c := range file.Clients {
		clients[i] = c.ID
		if c.Secret != "" {
			clients[i] += " (confidential)"
		}
	}
	w := e.stderr
	fmt.Fprintf(w, "hexauth fake-idp: serving the OIDC issuer %s\n", srv.Issuer())
	fmt.Fprintf(w, "  Entra-style authorities: %s\n", srv.EntraAuthority("{tenant}"))
	fmt.Fprintf(w, "  device code sign-in page: %s/device (hexauth login --device-code)\n", srv.URL())
	fmt.Fprintf(w, "  users: %s\n  clients: %s\n", strings.Join(users, ", "), strings.Join(clients, ", "))
	if faults > 0 {
		fmt.Fprintf(w, "  scripted faults: %d\n", faults)
	}
	fmt.Fprintln(w, "  press Ctrl-C to stop")
}
