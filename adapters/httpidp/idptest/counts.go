package idptest

import "github.com/hexauth/hexauth/domain"

// Counts is a snapshot of the requests the server received, faulted ones included.
type Counts struct {
	// Endpoints counts requests per endpoint.
	Endpoints map[Endpoint]int
	// Grants counts token-endpoint requests per grant_type as sent (an unknown or
	// missing grant_type is counted under what was sent, "" for none).
	Grants map[domain.GrantKind]int
}

// count records one request at endpoint e (and, at the token endpoint, of grant).
func (s *Server) count(e Endpoint, grant string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endpointCounts[e]++
	if e == EndpointToken {
		s.grantCounts[domain.GrantKind(grant)]++
		if domain.GrantKind(grant) == domain.GrantDeviceCode && len(s.devicePolls) < maxDevicePolls {
			s.devicePolls = append(s.devicePolls, s.now())
		}
	}
}

// Requests returns how many token requests of grant the server received, including
// those answered by a fault.
func (s *Server) Requests(grant domain.GrantKind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grantCounts[grant]
}

// EndpointRequests returns how many requests endpoint e received, including those
// answered by a fault. EndpointAny returns the total.
func (s *Server) EndpointRequests(e Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e == EndpointAny {
		n := 0
		for _, c := range s.endpointCounts {
			n += c
		}
		return n
	}
	return s.endpointCounts[e]
}

// Counts returns a snapshot of every count.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Counts{Endpoints: make(map[Endpoint]int, len(s.endpointCounts)), Grants: make(map[domain.GrantKind]int, len(s.grantCounts))}
	for k, v := range s.endpointCounts {
		c.Endpoints[k] = v
	}
	for k, v := range s.grantCounts {
		c.Grants[k] = v
	}
	return c
}

// ResetCounts sets every count back to zero.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.endpointCounts)
	clear(s.grantCounts)
}

// maxDevicePolls bounds the poll times the server remembers.
const maxDevicePolls = 1024
