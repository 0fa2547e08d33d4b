package dev.warren.client.impl;

import dev.warren.client.ExceptionHandler;

/**
 * The exception handler connections use unless told otherwise (see
 * {@link dev.warren.client.ConnectionFactory#setExceptionHandler}): a
 * {@link StrictExceptionHandler}, as in the official client, so a consumer whose callback throws
 * loses its channel. Use {@link ForgivingExceptionHandler} to keep channels open instead.
 */
public class DefaultExceptionHandler extends StrictExceptionHandler implements ExceptionHandler {
    /** The default handler. */
    public DefaultExceptionHandler() {
    }
}
