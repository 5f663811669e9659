"""The simulated cluster's network, as AKS sets one up by default for a cluster with Windows pools.

- Azure CNI with pods in the node subnet: Windows pools need Azure CNI (learn.microsoft.com/azure/aks/windows-faq,
  "Which network plug-ins are supported?"), and its default of 30 pods a node is what the pools get
  (:data:`labkit.sim.aks_node.DEFAULT_MAX_PODS`).
- AKS's default service range, 10.0.0.0/16: the kubernetes Service takes its first address and kube-dns its tenth
  (learn.microsoft.com/azure/aks/concepts-network-legacy-cni, the deployment parameters; spec example
  ManagedClustersGet.json).

Example:
    >>> KUBERNETES_SERVICE_IP, DNS_SERVICE_IP
    ('10.0.0.1', '10.0.0.10')
"""

from __future__ import annotations

import ipaddress

from labkit.sim.store import Obj

SERVICE_CIDR = "10.0.0.0/16"
KUBERNETES_SERVICE_IP = str(ipaddress.ip_network(SERVICE_CIDR)[1])
DNS_SERVICE_IP = str(ipaddress.ip_network(SERVICE_CIDR)[10])

#: The cluster's ``networkProfile``, as the ARM plane shows it.
PROFILE: Obj = {"networkPlugin": "azure", "serviceCidr": SERVICE_CIDR, "dnsServiceIP": DNS_SERVICE_IP,
                "loadBalancerSku": "standard", "outboundType": "loadBalancer"}
