package gateway

import (
	"encoding/json"
	"errors"
)

// Child namespaces of a pattern (OfPattern, OfFunc) exist while they have sockets: a
// CONNECT creates one, and when its last socket leaves it is removed from the server and
// its parent, and its adapter is closed (socket.io's cleanupEmptyChildNamespaces, on
// unless Config.KeepEmptyChildNamespaces). A parent holds at most
// Config.MaxChildNamespaces children at once.
//
// Every socket holds a use of its namespace from the lookup of its CONNECT until it
// closes; a child whose uses drop to zero is marked removed under its lock, so that a
// CONNECT looking it up at that moment fails to take a use and creates a fresh one.

// errTooManyChildren refuses a CONNECT that would create one child too many.
var errTooManyChildren = errors.New("gateway: too many child namespaces")

// tooManyNamespaces is the CONNECT_ERROR payload of that refusal.
var tooManyNamespaces = json.RawMessage(`{"message":"Too many namespaces"}`)

// acquire takes a use of n for a socket, and fails when n has been removed.
func (n *Namespace) acquire() bool {
	if n.parent == nil {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.removed {
		return false
	}
	n.uses++
	return true
}

// release gives a use back; the last one of a child removes it, unless the server keeps
// empty children.
func (n *Namespace) release() {
	if n.parent == nil {
		return
	}
	n.mu.Lock()
	n.uses--
	remove := n.uses == 0 && !n.srv.cfg.KeepEmptyChildNamespaces
	if remove {
		n.removed = true
	}
	n.mu.Unlock()
	if remove {
		n.srv.removeChild(n)
	}
}

// isRemoved reports whether n was removed as an empty child.
func (n *Namespace) isRemoved() bool {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.removed
}

// removeChild forgets an empty child namespace and closes its adapter.
func (s *Server) removeChild(n *Namespace) {
	s.mu.Lock()
	if s.nsps[n.name] == n {
		delete(s.nsps, n.name)
	}
	s.mu.Unlock()
	n.parent.removeChild(n)
	n.closeAdapter()
}

// closeAdapter closes n's adapter once, whoever asks first (child cleanup or Shutdown).
func (n *Namespace) closeAdapter() {
	n.closeOnce.Do(func() {
		if err := n.adapter.Close(); err != nil {
			n.srv.logger.Warn("gateway: closing adapter", "namespace", n.name, "err", err)
		}
	})
}

func (p *ParentNamespace) addChild(n *Namespace) {
	p.mu.Lock()
	p.children[n] = struct{}{}
	p.mu.Unlock()
}

func (p *ParentNamespace) removeChild(n *Namespace) {
	p.mu.Lock()
	delete(p.children, n)
	p.mu.Unlock()
}

// childCount is the number of children the parent holds.
func (p *ParentNamespace) childCount() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.children)
}
