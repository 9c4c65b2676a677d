import type { Metadata } from 'next';
import { Suspense } from 'react';
import { MessageView } from '../../components/message-view';

export const metadata: Metadata = { title: 'Message' };

export default function MessagePage() {
  return (
    <Suspense>
      <MessageView />
    </Suspense>
  );
}
