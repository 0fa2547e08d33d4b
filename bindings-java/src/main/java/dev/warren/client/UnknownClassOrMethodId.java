package dev.warren.client;

import java.io.IOException;

/** A frame named a class or method id that AMQP 0-9-1 does not define. */
public class UnknownClassOrMethodId extends IOException {
    private static final long serialVersionUID = 1L;
    /** The class id. */
    public final int classId;
    /** The method id, or -1 if only the class is unknown. */
    public final int methodId;

    /** @param classId the unknown class id */
    public UnknownClassOrMethodId(int classId) {
        this(classId, -1);
    }

    /**
     * @param classId the class id
     * @param methodId the unknown method id
     */
    public UnknownClassOrMethodId(int classId, int methodId) {
        this.classId = classId;
        this.methodId = methodId;
    }

    @Override
    public String toString() {
        return methodId == -1 ? "<" + getClass().getName() + ": Unknown class ID " + classId + ">"
                : "<" + getClass().getName() + ": Unknown class/method ID " + classId + "/" + methodId + ">";
    }
}
