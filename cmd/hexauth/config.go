package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hexauth/hexauth/domain"
	"github.com/spf13/pflag"
)

// setting is one configuration value, read from a flag (--client-id), an environment
// variable (HEXAUTH_CLIENT_ID) and a key of the JSON config file ("client_id"), in that
// order of precedence.
type setting struct {
	key    string // the JSON key; the flag is the key with dashes
	usage  string
	isBool bool
	isInt  bool // the config file may give it as a JSON number
}

func (s setting) flagName() string { return strings.ReplaceAll(s.key, "_", "-") }
func (s setting) envName() string  { return "HEXAUTH_" + strings.ToUpper(s.key) }

// The settings every command may read. Secrets are not among them: they come from the
// environment, a file or standard input (secrets.go).
var (
	setClientID      = setting{key: "client_id", usage: "application (client) `ID` registered with the provider (required)"}
	setAuthority     = setting{key: "authority", usage: "authority `URL`: an Entra tenant, B2C, ADFS or any OIDC issuer (required)"}
	setAuthorityKind = setting{key: "authority_kind", usage: "authority `kind`: entra, b2c, adfs or oidc (default: detected from the URL)"}
	setCache         = setting{key: "cache", usage: "token `cache`: a SQLite file path, sqlite:///path, memory: or postgres://... (default: SQLite under the user cache directory)"}
	setPartition     = setting{key: "partition", usage: "cache `partition` (tenant) to read and write (default: the zero partition)"}
	setScopes        = setting{key: "scopes", usage: "`scopes` to request, separated by spaces or commas"}
	setUsername      = setting{key: "username", usage: "the user's sign-in `name`"}
	setOutput        = setting{key: "output", usage: "output `format`: text or json"}
	setTimeout       = setting{key: "timeout", usage: "how long the command may take, a `duration` such as 2m (default depends on the command)"}
	setVerbose       = setting{key: "verbose", usage: "log diagnostics (never secrets) to standard error", isBool: true}
	setAllowedHosts  = setting{key: "allowed_hosts", usage: "`hosts`, besides the issuer's, that the provider's discovery document may name endpoints on (Google: oauth2.googleapis.com www.googleapis.com), separated by spaces or commas"}
	setClientCert    = setting{key: "client_certificate", usage: "PEM `file` of the client's certificate (chain), for private_key_jwt (RFC 7523); it may hold the key too"}
	setClientKey     = setting{key: "client_key", usage: "PEM `file` of the private key of --client-certificate (default: the certificate file)"}
	setClientAuth    = setting{key: "client_auth", usage: "client authentication `method`: client_secret_basic, client_secret_post or private_key_jwt (default: from the credential and the provider's metadata)"}
	setRedirectPort  = setting{key: "redirect_port", isInt: true,
		usage: "listen for the sign-in redirect on this loopback `port` (1..65535) and send http://127.0.0.1:PORT/ as the redirect URI, for providers that match redirect URIs exactly (default: a random port)"}
	setRedirectPath = setting{key: "redirect_path",
		usage: "the sign-in redirect's `path`, such as /callback: send http://127.0.0.1:PORT/callback as the redirect URI and serve that path only, for providers that registered it exactly (default: /)"}
)

// allSettings lists every setting, for the config file's keys.
var allSettings = []setting{setClientID, setAuthority, setAuthorityKind, setCache, setPartition,
	setScopes, setUsername, setOutput, setTimeout, setVerbose, setRedirectPort, setRedirectPath, setAllowedHosts,
	setClientCert, setClientKey, setClientAuth}

// secretKeys are config-file keys refused with a pointer to the right source.
var secretKeys = map[string]string{
	"password":      "HEXAUTH_PASSWORD, --password-file or --password-stdin",
	"client_secret": "HEXAUTH_CLIENT_SECRET or --client-secret-file",
	"refresh_token": "HEXAUTH_REFRESH_TOKEN, --refresh-token-file or --refresh-token-stdin",
}

// settings is the merged configuration of a command.
type settings struct {
	clientID, authority, cache, partition, username string
	authorityKind                                   domain.AuthorityKind
	scopes                                          []string
	allowedHosts                                    []string // app.Config.AllowedHosts
	json                                            bool     // --output json
	timeout                                         time.Duration
	verbose                                         bool
	redirectPort                                    int    // login's fixed loopback port; 0: a random one
	redirectPath                                    string // login's loopback redirect path; "": /
	clientCertificate, clientKey                    string // PEM files for private_key_jwt
	clientAuth                                      string // authBasic, authPost, authPrivateKey or authAuto
}

// configFlags registers settings as flags and remembers which ones were given.
type configFlags struct {
	config  string
	profile string
	used    []setting
	given   map[string]string // key → flag value, for flags on the command line
}

// flagValue records a flag's value into configFlags.given.
type flagValue struct {
	given  map[string]string
	key    string
	isBool bool
}

func (v *flagValue) String() string   { return "" }
func (v *flagValue) IsBoolFlag() bool { return v.isBool }
func (v *flagValue) Type() string {
	if v.isBool {
		return "bool"
	}
	return "string"
}
func (v *flagValue) Set(s string) error {
	if v.isBool {
		if _, err := strconv.ParseBool(s); err != nil {
			return fmt.Errorf("not a boolean")
		}
	}
	v.given[v.key] = s
	return nil
}

// addConfigFlags registers --config and the flags of the settings a command reads
// (--output, --timeout and --verbose always).
// --output has the shorthand -o, as in kubectl and az.
func addConfigFlags(fs *pflag.FlagSet, used ...setting) *configFlags {
	cf := &configFlags{given: map[string]string{}}
	for _, s := range slices.Concat(used, []setting{setOutput, setTimeout, setVerbose}) {
		if !slices.Contains(cf.used, s) {
			cf.used = append(cf.used, s)
		}
	}
	fs.StringVar(&cf.config, "config", "", "JSON config `file` (env HEXAUTH_CONFIG), read over the default one, os.UserConfigDir()/hexauth/config.json")
	fs.StringVar(&cf.profile, "profile", "", "the config files' `profile` to use over their top-level settings (env HEXAUTH_PROFILE)")
	for _, s := range cf.used {
		short := ""
		if s == setOutput {
			short = "o"
		}
		f := fs.VarPF(&flagValue{given: cf.given, key: s.key, isBool: s.isBool}, s.flagName(), short, s.usage+" (env "+s.envName()+")")
		if s.isBool {
			f.NoOptDefVal = "true"
		}
	}
	return cf
}

// load merges the config files, the environment and the flags into settings.
func (cf *configFlags) load(e *env) (settings, error) {
	r, err := cf.resolve(e)
	if err != nil {
		return settings{}, err
	}
	vals := map[string]string{}
	for k, v := range r.values {
		vals[k] = v.value
	}
	// A command ignores the settings it does not read, so that a value meant for
	// another (a bad HEXAUTH_REDIRECT_PORT, say) cannot fail it.
	for _, s := range allSettings {
		if !slices.Contains(cf.used, s) {
			delete(vals, s.key)
		}
	}
	return toSettings(vals)
}

// configFile is a parsed JSON config file: its top-level settings and its named
// profiles.
type configFile struct {
	path     string
	values   map[string]string
	profiles map[string]map[string]string
}

// readConfigFile reads a JSON config file: an object whose keys are settings, and
// "profiles", an object of named objects of the same keys.
func readConfigFile(path string) (configFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return configFile{}, usageErrorf("config file: %v", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return configFile{}, usageErrorf("config file %s: not a JSON object: %v", path, err)
	}
	f := configFile{path: path, profiles: map[string]map[string]string{}}
	profiles, hasProfiles := raw["profiles"]
	delete(raw, "profiles")
	if f.values, err = configValues(path, "", raw); err != nil {
		return configFile{}, err
	}
	if hasProfiles {
		var named map[string]map[string]json.RawMessage
		if err := json.Unmarshal(profiles, &named); err != nil {
			return configFile{}, usageErrorf("config file %s: \"profiles\" is not an object of objects: %v", path, err)
		}
		for name, keys := range named {
			if f.profiles[name], err = configValues(path, name, keys); err != nil {
				return configFile{}, err
			}
		}
	}
	return f, nil
}

// configValues checks and converts the keys of one object of a config file (profile
// "" is the top level).
func configValues(path, profile string, raw map[string]json.RawMessage) (map[string]string, error) {
	where := "config file " + path
	if profile != "" {
		where += " profile " + strconv.Quote(profile)
	}
	vals := map[string]string{}
	for k, v := range raw {
		if where2, ok := secretKeys[k]; ok {
			return nil, usageErrorf("%s: %q is not read from a config file; use %s", where, k, where2)
		}
		i := slices.IndexFunc(allSettings, func(s setting) bool { return s.key == k })
		if i < 0 {
			return nil, usageErrorf("%s: unknown key %q", where, k)
		}
		s, err := jsonString(v, allSettings[i].isInt)
		if err != nil {
			return nil, usageErrorf("%s: %q: %v", where, k, err)
		}
		vals[k] = s
	}
	return vals, nil
}

// jsonString reads a config-file value: a string, a boolean, or an array of strings
// (joined with spaces, for scopes); for a number setting (isInt), a JSON number too,
// as written ("redirect_port": 8400), checked by toSettings like the flag.
func jsonString(v json.RawMessage, isInt bool) (string, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, nil
	}
	var n json.Number
	if isInt && json.Unmarshal(v, &n) == nil {
		return n.String(), nil
	}
	var b bool
	if json.Unmarshal(v, &b) == nil {
		return strconv.FormatBool(b), nil
	}
	var list []string
	if json.Unmarshal(v, &list) == nil {
		return strings.Join(list, " "), nil
	}
	return "", fmt.Errorf("want a string, a boolean or an array of strings")
}

// toSettings checks and converts the merged values.
func toSettings(v map[string]string) (settings, error) {
	s := settings{
		clientID: strings.TrimSpace(v[setClientID.key]), authority: strings.TrimSpace(v[setAuthority.key]),
		cache: strings.TrimSpace(v[setCache.key]), partition: v[setPartition.key],
		username: strings.TrimSpace(v[setUsername.key]), scopes: splitScopes(v[setScopes.key]),
		allowedHosts:      splitScopes(v[setAllowedHosts.key]),
		clientCertificate: strings.TrimSpace(v[setClientCert.key]), clientKey: strings.TrimSpace(v[setClientKey.key]),
	}
	switch m := strings.ToLower(strings.TrimSpace(v[setClientAuth.key])); m {
	case authAuto, authBasic, authPost, authPrivateKey:
		s.clientAuth = m
	default:
		return settings{}, usageErrorf("--client-auth %q: want client_secret_basic, client_secret_post or private_key_jwt", m)
	}
	switch k := domain.AuthorityKind(strings.ToLower(strings.TrimSpace(v[setAuthorityKind.key]))); k {
	case domain.AuthorityAuto, domain.AuthorityEntra, domain.AuthorityB2C, domain.AuthorityADFS, domain.AuthorityOIDC:
		s.authorityKind = k
	default:
		return settings{}, usageErrorf("--authority-kind %q: want entra, b2c, adfs or oidc", string(k))
	}
	switch out := strings.ToLower(strings.TrimSpace(v[setOutput.key])); out {
	case "", "text":
	case "json":
		s.json = true
	default:
		return settings{}, usageErrorf("--output %q: want text or json", out)
	}
	if t := strings.TrimSpace(v[setTimeout.key]); t != "" {
		d, err := time.ParseDuration(t)
		if err != nil || d <= 0 {
			return settings{}, usageErrorf("--timeout %q: want a positive duration such as 90s or 5m", t)
		}
		s.timeout = d
	}
	if b := strings.TrimSpace(v[setVerbose.key]); b != "" {
		verbose, err := strconv.ParseBool(b)
		if err != nil {
			return settings{}, usageErrorf("--verbose %q: want true or false", b)
		}
		s.verbose = verbose
	}
	if p := strings.TrimSpace(v[setRedirectPort.key]); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return settings{}, usageErrorf("--redirect-port %q: want a port number in 1..65535", p)
		}
		s.redirectPort = port
	}
	if p := strings.TrimSpace(v[setRedirectPath.key]); p != "" {
		if err := domain.CheckLoopbackRedirectPath(p); err != nil {
			return settings{}, usageErrorf("--redirect-path %q: want an absolute path such as /callback, without query, fragment, %%-escapes or . and .. segments", p)
		}
		s.redirectPath = p
	}
	return s, nil
}

// splitScopes splits a scope list on spaces and commas.
func splitScopes(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// requireClient checks the settings every flow needs.
func (s settings) requireClient() error {
	var missing []string
	if s.clientID == "" {
		missing = append(missing, "--client-id (or HEXAUTH_CLIENT_ID)")
	}
	if s.authority == "" {
		missing = append(missing, "--authority (or HEXAUTH_AUTHORITY)")
	}
	if len(missing) > 0 {
		return usageErrorf("missing %s", strings.Join(missing, " and "))
	}
	return nil
}

// usageError is a mistake in the command line or the configuration (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a *usageError.
func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
