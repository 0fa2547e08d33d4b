package dev.warren.client;

/** A method with its content, if any (the answer of {@link Channel#rpc(Method)}). */
public interface Command {
    /** @return the method */
    Method getMethod();

    /** @return the content header, or null */
    ContentHeader getContentHeader();

    /** @return the content body, or null */
    byte[] getContentBody();
}
