package dev.warren.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Supplies the broker addresses a connection tries, in order (see {@link ConnectionFactory#newConnection(AddressResolver)}). */
public interface AddressResolver {
    /**
     * @return the addresses to try
     * @throws IOException if they cannot be found
     */
    List<Address> getAddresses() throws IOException;

    /**
     * Shuffles the addresses when there is more than one, so clients spread over a cluster.
     *
     * @param input the resolved addresses
     * @return a shuffled copy (or the input itself when it has one element or none)
     */
    default List<Address> maybeShuffle(List<Address> input) {
        if (input.size() <= 1) {
            return input;
        }
        List<Address> list = new ArrayList<>(input);
        Collections.shuffle(list);
        return list;
    }
}
