// kubeadm's default Corefile (cmd/kubeadm/app/phases/addons/dns), the one the bootstrap writes into
// the coredns ConfigMap (seed 000 without its hosts block). Served when no Corefile can be read.
export const kubeadmCorefile = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;
