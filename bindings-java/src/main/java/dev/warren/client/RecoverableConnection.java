package dev.warren.client;

/** A connection with automatic recovery (every Warren connection is one). */
public interface RecoverableConnection extends Recoverable, Connection {
}
