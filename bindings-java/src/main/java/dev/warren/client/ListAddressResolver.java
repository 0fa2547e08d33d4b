package dev.warren.client;

import java.util.List;

/** An {@link AddressResolver} over a fixed list of addresses. */
public class ListAddressResolver implements AddressResolver {
    /** The addresses, in the order given. */
    private final List<Address> addresses;

    /** @param addresses the brokers to try */
    public ListAddressResolver(List<Address> addresses) {
        this.addresses = addresses;
    }

    @Override
    public List<Address> getAddresses() {
        return addresses;
    }
}
