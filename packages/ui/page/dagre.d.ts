/** The part of @dagrejs/dagre's browser bundle (a global `dagre`) the page uses. */
declare namespace dagre {
  interface NodeLabel {
    width: number;
    height: number;
    x?: number;
    y?: number;
  }
  interface EdgeLabel {
    points?: Array<{ x: number; y: number }>;
  }
  interface GraphLabel {
    rankdir?: 'TB' | 'LR';
    nodesep?: number;
    ranksep?: number;
    width?: number;
    height?: number;
  }
  namespace graphlib {
    class Graph {
      setGraph(label: GraphLabel): this;
      graph(): GraphLabel;
      setDefaultEdgeLabel(make: () => EdgeLabel): this;
      setNode(name: string, label: NodeLabel): this;
      node(name: string): NodeLabel;
      setEdge(from: string, to: string): this;
      edge(edge: { v: string; w: string }): EdgeLabel;
      edges(): Array<{ v: string; w: string }>;
      nodes(): string[];
    }
  }
  function layout(graph: graphlib.Graph): void;
}
