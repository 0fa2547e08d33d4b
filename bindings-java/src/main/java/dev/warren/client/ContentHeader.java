package dev.warren.client;

/** A content header (the properties of a message). */
public interface ContentHeader extends Cloneable {
    /** @return the class id (60 for basic) */
    int getClassId();

    /** @return the class name ({@code "basic"}) */
    String getClassName();

    /** @param buffer where to append the properties as text */
    void appendPropertyDebugStringTo(StringBuilder buffer);
}
