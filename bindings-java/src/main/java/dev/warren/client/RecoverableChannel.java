package dev.warren.client;

/** A channel of a connection with automatic recovery (every Warren channel is one). */
public interface RecoverableChannel extends Recoverable, Channel {
}
