package io.minibit.peer.download;

/** A peer found by the tracker or by another peer: its host:port and the id it was named with. */
record PeerAddress(String address, String peerId) {}
